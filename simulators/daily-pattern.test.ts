import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DailyArrivals, demandAt, flowAt, hourOfDay } from './daily-pattern.ts';
import { createRandom } from './random.ts';

const UTC = { utcOffsetMinutes: 0 };
const at = (hour: number, minute = 0): number => Date.UTC(2024, 5, 3, hour, minute);

describe('demandAt', () => {
  it('peaks in the morning and the evening and is low at night', () => {
    const morning = demandAt(at(8), UTC);
    const evening = demandAt(at(19, 30), UTC);
    const noon = demandAt(at(12, 30), UTC);
    const night = demandAt(at(3), UTC);
    expect(morning).toBeGreaterThan(0.9);
    expect(evening).toBeGreaterThan(0.85);
    expect(noon).toBeLessThan(0.4);
    expect(noon).toBeGreaterThan(night);
    expect(night).toBeLessThan(0.06);
    // Inside the named rush windows demand is well above the daytime baseline.
    for (const [h, m] of [
      [7, 15],
      [8, 45],
      [18, 15],
      [20, 45],
    ] as const) {
      expect(demandAt(at(h, m), UTC)).toBeGreaterThan(0.45);
    }
  });

  it('stays in [0, 1] for any instant and any UTC offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: -720, max: 840 }),
        (ms, offset) => {
          const d = demandAt(ms, { utcOffsetMinutes: offset });
          expect(d >= 0 && d <= 1).toBe(true);
        },
      ),
    );
  });

  it('reads the hour in the community time zone', () => {
    expect(hourOfDay(at(0), { utcOffsetMinutes: 480 })).toBe(8);
    expect(hourOfDay(at(1, 30), { utcOffsetMinutes: -120 })).toBe(23.5);
    expect(demandAt(at(0), { utcOffsetMinutes: 480 })).toBeCloseTo(demandAt(at(8), UTC), 10);
    expect(demandAt(new Date(at(8)), UTC)).toBe(demandAt(at(8), UTC));
  });
});

describe('flowAt', () => {
  it('sends people down to the lobby in the morning and up from it in the evening', () => {
    const morning = flowAt(at(8), UTC);
    const evening = flowAt(at(19, 30), UTC);
    expect(morning.toLobby).toBeGreaterThan(3 * morning.fromLobby);
    expect(evening.fromLobby).toBeGreaterThan(3 * evening.toLobby);
    for (const f of [morning, evening, flowAt(at(13), UTC)]) {
      expect(f.toLobby + f.fromLobby + f.interfloor).toBeCloseTo(1, 10);
    }
  });
});

describe('DailyArrivals', () => {
  const count = (hour: number): number => {
    const arrivals = new DailyArrivals(createRandom(5), 600, at(hour), UTC);
    let n = 0;
    for (let t = at(hour); t <= at(hour + 1); t += 10_000) n += arrivals.take(t).length;
    return n;
  };

  it('brings many more arrivals in the morning rush than at night', () => {
    const rush = count(8);
    const night = count(3);
    expect(rush).toBeGreaterThan(400);
    expect(night).toBeLessThan(60);
  });

  it('returns arrivals in order, never later than asked, and bounded after a long jump', () => {
    const arrivals = new DailyArrivals(createRandom(1), 3_600, at(8), UTC);
    const first = arrivals.take(at(8, 10));
    expect(first.length).toBeGreaterThan(0);
    expect([...first].sort((a, b) => a - b)).toEqual(first);
    expect(first.every((t) => t <= at(8, 10))).toBe(true);
    expect(arrivals.take(at(20), 50).length).toBeLessThanOrEqual(50);
    // The backlog is dropped: the next call only sees arrivals after the jump.
    const after = arrivals.take(at(20, 10));
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((t) => t > at(20))).toBe(true);
  });

  it('produces nothing at a rate of zero', () => {
    expect(new DailyArrivals(createRandom(1), 0, at(8), UTC).take(at(9))).toEqual([]);
  });
});
