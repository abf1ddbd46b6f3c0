import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLevel, moveToward, nearestFloor, nextStop, type Motion } from './elevator-car.ts';

const limits = { maxSpeedMps: 1.75, accelMps2: 0.9 };

/** Drives a car to a target in 100 ms steps; bounded so a bug cannot hang the test. */
function travel(from: number, to: number, lim = limits): { speeds: number[]; positions: number[] } {
  let motion: Motion = { positionM: from, speedMps: 0 };
  const speeds: number[] = [];
  const positions: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = moveToward(motion, to, 0.1, lim);
    motion = r.motion;
    speeds.push(motion.speedMps);
    positions.push(motion.positionM);
    if (r.arrived) return { speeds, positions };
  }
  throw new Error('never arrived');
}

describe('moveToward', () => {
  it('accelerates to rated speed, cruises and brakes to a stop exactly at the floor', () => {
    const { speeds, positions } = travel(0, 45);
    expect(positions.at(-1)).toBe(45);
    expect(speeds.at(-1)).toBe(0);
    expect(Math.max(...speeds)).toBeCloseTo(1.75, 5);
    // Gradual: no 100 ms step changes speed by more than a·dt (plus the final snap to rest).
    for (let i = 1; i < speeds.length - 1; i++) {
      expect(Math.abs(speeds[i]! - speeds[i - 1]!)).toBeLessThanOrEqual(0.09 + 1e-9);
    }
    // 45 m at 1.75 m/s plus the ramps: a realistic 27-28 s, not a teleport.
    expect(speeds.length / 10).toBeGreaterThan(26);
    expect(speeds.length / 10).toBeLessThan(30);
  });

  it('never overshoots, never exceeds the speed limit and always arrives (any trip)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0.3, max: 4, noNaN: true }),
        fc.double({ min: 0.3, max: 1.5, noNaN: true }),
        (fromFloor, toFloor, maxSpeedMps, accelMps2) => {
          const from = fromFloor * 3;
          const to = toFloor * 3;
          const { speeds, positions } = travel(from, to, { maxSpeedMps, accelMps2 });
          expect(positions.at(-1)).toBe(to);
          const lo = Math.min(from, to) - 1e-9;
          const hi = Math.max(from, to) + 1e-9;
          expect(positions.every((p) => p >= lo && p <= hi)).toBe(true);
          expect(Math.max(...speeds)).toBeLessThanOrEqual(maxSpeedMps + 1e-9);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('nextStop', () => {
  const stops = new Set([2, 5, 9]);
  it('keeps going the way it is going, then turns round', () => {
    expect(nextStop(stops, 3 * 3, 'up', 3)).toBe(5);
    expect(nextStop(stops, 3 * 3, 'down', 3)).toBe(2);
    expect(nextStop(stops, 10 * 3, 'up', 3)).toBe(9);
    expect(nextStop(new Set([1]), 6 * 3, 'up', 3)).toBe(1);
  });

  it('skips a stop it can no longer brake for', () => {
    expect(nextStop(stops, 4.5 * 3, 'up', 3, 2)).toBe(9);
    expect(nextStop(stops, 4.5 * 3, 'up', 3, 1)).toBe(5);
  });

  it('goes to the nearest stop when idle, and nowhere without stops', () => {
    expect(nextStop(stops, 4 * 3, 'idle', 3)).toBe(5);
    expect(nextStop(new Set(), 0, 'idle', 3)).toBeUndefined();
  });
});

describe('floor helpers', () => {
  it('reads the nearest floor within the shaft and knows when the car is level', () => {
    expect(nearestFloor(7.4, 3, 10)).toBe(2);
    expect(nearestFloor(-1, 3, 10)).toBe(0);
    expect(nearestFloor(99, 3, 10)).toBe(9);
    expect(isLevel(6.003, 3)).toBe(true);
    expect(isLevel(7.2, 3)).toBe(false);
  });
});
