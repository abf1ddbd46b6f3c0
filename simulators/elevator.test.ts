import { describe, expect, it } from 'vitest';
import type { SimMessage } from './device-simulator.ts';
import {
  createElevatorSimulator,
  ELEVATOR_FAULT_CODES,
  type ElevatorSimulator,
  type ElevatorSimulatorOptions,
  type ElevatorState,
} from './elevator.ts';

const UTC = { utcOffsetMinutes: 0 };
const at = (hour: number, minute = 0): number => Date.UTC(2024, 5, 3, hour, minute);
type Telemetry = Extract<SimMessage, { channel: 'telemetry' }>;
type Event = Extract<SimMessage, { channel: 'event' }>;

function lift(options: Partial<ElevatorSimulatorOptions> = {}): ElevatorSimulator {
  return createElevatorSimulator({
    id: 'lift-1',
    startAt: at(8),
    seed: 5,
    floors: 12,
    pattern: UTC,
    ...options,
  });
}

/** Steps with a fake clock; `watch` sees the state after every step. */
function run(
  sim: ElevatorSimulator,
  from: number,
  to: number,
  stepMs = 500,
  watch?: (s: ElevatorState) => void,
): SimMessage[] {
  const out: SimMessage[] = [];
  for (let t = from; t <= to; t += stepMs) {
    out.push(...sim.step(t));
    watch?.(sim.state());
  }
  return out;
}
const telemetry = (m: SimMessage[]): Telemetry[] =>
  m.filter((x): x is Telemetry => x.channel === 'telemetry');
const events = (m: SimMessage[], type: string): Event[] =>
  m.filter((x): x is Event => x.channel === 'event' && x.type === type);

describe('elevator simulator', () => {
  it('serves the morning rush within its floors, speed and rated load, doors open only at rest', () => {
    const sim = lift();
    const states: ElevatorState[] = [];
    const messages = run(sim, at(8), at(9), 500, (s) => states.push(s));
    const t = telemetry(messages);
    expect(t.length).toBeGreaterThan(2_000);
    const floors = new Set<number>();
    for (const { values: v } of t) {
      expect(Number.isInteger(v.floor)).toBe(true);
      expect(v.floor).toBeGreaterThanOrEqual(1);
      expect(v.floor).toBeLessThanOrEqual(12);
      expect(v.speed_mps).toBeLessThanOrEqual(1.75);
      expect(v.load_kg).toBeGreaterThanOrEqual(0);
      expect(v.load_kg).toBeLessThanOrEqual(1000);
      expect(['up', 'down', 'idle']).toContain(v.direction);
      expect(v.mode).toBe('normal');
      expect(v.fault_code).toBe(0);
      if (v.door_open) expect(v).toMatchObject({ moving: false, speed_mps: 0 });
      floors.add(v.floor as number);
    }
    expect(floors.size).toBeGreaterThanOrEqual(8);
    for (const s of states) if (s.doorOpen) expect(s.positionM % 3).toBeCloseTo(0, 2);
    // Doors opened at many stops, and load changed as people got on and off.
    const opens = t.filter((m, i) => m.values.door_open && !t[i - 1]?.values.door_open).length;
    expect(opens).toBeGreaterThan(30);
    expect(new Set(t.map((m) => m.values.load_kg)).size).toBeGreaterThan(20);
    expect(Math.max(...t.map((m) => m.values.speed_mps as number))).toBeGreaterThan(1.5);
    // Telemetry roughly every 1.5 s, never with a gap over the interval.
    for (let i = 1; i < t.length; i++) expect(t[i]!.at - t[i - 1]!.at).toBeLessThanOrEqual(1_500);
  });

  it('carries people down to the lobby in the morning and up in the evening', () => {
    const loadedMoves = (start: number): { up: number; down: number } => {
      const t = telemetry(run(lift({ startAt: start }), start, start + 3_600_000, 1_000));
      const moving = t.filter((m) => m.values.moving && (m.values.load_kg as number) > 0);
      return {
        up: moving.filter((m) => m.values.direction === 'up').length,
        down: moving.filter((m) => m.values.direction === 'down').length,
      };
    };
    const morning = loadedMoves(at(7, 30));
    const evening = loadedMoves(at(19));
    expect(morning.down).toBeGreaterThan(2 * morning.up);
    expect(evening.up).toBeGreaterThan(2 * evening.down);
  });

  it('reports its state at once when asked (on connect)', () => {
    const sim = lift({ callsPerHourAtPeak: 0, intervalMs: 60_000 });
    run(sim, at(8), at(8) + 70_000, 1_000);
    expect(telemetry(sim.step(at(8) + 71_000))).toHaveLength(0);
    sim.reportNow();
    const report = telemetry(sim.step(at(8) + 72_000));
    expect(report).toHaveLength(1);
    expect(report[0]!.values).toMatchObject({ floor: 1, moving: false, door_open: false, load_kg: 0 });
  });

  it('is quiet at night', () => {
    const movingShare = (start: number): number => {
      const t = telemetry(run(lift({ startAt: start }), start, start + 3_600_000, 1_000));
      return t.filter((m) => m.values.moving).length / t.length;
    };
    expect(movingShare(at(3))).toBeLessThan(movingShare(at(8)) / 4);
  });

  it('replays exactly from the same seed', () => {
    const a = run(lift(), at(8), at(8, 15));
    expect(run(lift(), at(8), at(8, 15))).toEqual(a);
    expect(run(lift({ seed: 6 }), at(8), at(8, 15))).not.toEqual(a);
  });

  it('entrapment: stuck between floors, doors shut, occupied; the event after the delay; freed when cleared', () => {
    const sim = lift({ entrapmentAfterMs: 20_000, callsPerHourAtPeak: 0 });
    run(sim, at(8), at(8) + 10_000);
    sim.setFault('entrapment', true);
    const trappedAt = at(8) + 10_000;
    const during = sim.step(trappedAt);
    const before = sim.state().positionM;
    during.push(...run(sim, trappedAt + 500, trappedAt + 120_000));
    const t = telemetry(during);
    expect(t.length).toBeGreaterThan(70);
    for (const { values } of t) {
      expect(values).toMatchObject({ door_open: false, moving: false, speed_mps: 0, direction: 'idle' });
      expect(values.load_kg).toBeGreaterThan(0);
    }
    const state = sim.state();
    expect(state.positionM).toBe(before);
    expect(state.positionM % 3).toBeGreaterThan(0.5); // between floors, not level
    const trapped = events(during, 'elevator.entrapment');
    expect(trapped).toHaveLength(1);
    expect(trapped[0]!.at).toBe(trappedAt + 20_000);
    expect(trapped[0]!.data).toMatchObject({ seconds: 20, floor: expect.any(Number) });
    expect(trapped[0]!.data.load_kg).toBeGreaterThan(0);
    sim.setFault('entrapment', false);
    const after = telemetry(run(sim, trappedAt + 120_500, trappedAt + 180_000));
    expect(after.some((m) => m.values.moving)).toBe(true);
    expect(after.some((m) => m.values.door_open)).toBe(true);
    expect(sim.state().positionM % 3).toBeCloseTo(0, 2);
    expect(sim.state().loadKg).toBe(0); // the passenger got out
  });

  it('fault: a non-zero fault_code and elevator.fault with the same code, zero again when cleared', () => {
    const sim = lift();
    run(sim, at(8), at(8) + 5_000);
    sim.setFault('fault', true);
    const during = run(sim, at(8) + 5_500, at(8) + 30_000);
    const e = events(during, 'elevator.fault');
    expect(e).toHaveLength(1);
    expect(ELEVATOR_FAULT_CODES).toContain(e[0]!.data.code);
    expect(telemetry(during)[0]!.at).toBe(at(8) + 5_000);
    expect(telemetry(during).every((m) => m.values.fault_code === e[0]!.data.code)).toBe(true);
    sim.setFault('fault', false);
    expect(telemetry(run(sim, at(8) + 30_500, at(8) + 31_000))[0]!.values.fault_code).toBe(0);
    const fixed = lift({ faultCode: 77 });
    fixed.setFault('fault', true);
    expect(events(fixed.step(at(8)), 'elevator.fault')[0]!.data.code).toBe(77);
  });

  it('doorFault: elevator.door_fault, and the doors stay open at the next stop', () => {
    const sim = lift();
    run(sim, at(8), at(8) + 5_000);
    sim.setFault('doorFault', true);
    const during = run(sim, at(8) + 5_500, at(8, 10));
    expect(events(during, 'elevator.door_fault')).toHaveLength(1);
    const t = telemetry(during);
    const firstOpen = t.findIndex((m) => m.values.door_open);
    expect(firstOpen).toBeGreaterThanOrEqual(0);
    expect(t.slice(firstOpen).every((m) => m.values.door_open && !m.values.moving)).toBe(true);
  });

  it('overload: load above rated with the doors open and the car refusing to move', () => {
    const sim = lift({ callsPerHourAtPeak: 0, ratedLoadKg: 800 });
    run(sim, at(8), at(8) + 2_000);
    sim.setFault('overload', true);
    const t = telemetry(run(sim, at(8) + 2_500, at(8) + 60_000));
    const last = t.at(-1)!.values;
    expect(last.load_kg).toBeGreaterThan(800);
    expect(last).toMatchObject({ door_open: true, moving: false });
    expect(t.every((m) => !m.values.moving)).toBe(true);
    sim.setFault('overload', false);
    const after = telemetry(run(sim, at(8) + 60_500, at(8) + 70_000));
    expect(after.every((m) => (m.values.load_kg as number) <= 800)).toBe(true);
    expect(after.at(-1)!.values.door_open).toBe(false);
  });

  it('fire mode: the car goes to the lobby and parks with its doors open', () => {
    const sim = lift({ startAt: at(8), lowestFloor: -1, lobbyFloor: 1 });
    run(sim, at(8), at(8, 5));
    sim.setMode('fire');
    const t = telemetry(run(sim, at(8, 5) + 500, at(8, 7)));
    expect(t.at(-1)!.values).toMatchObject({ floor: 1, door_open: true, moving: false, mode: 'fire' });
  });

  it('silent, offline and garbage act on what is sent, not on the lift', () => {
    const sim = lift();
    sim.setFault('silent', true);
    expect(run(sim, at(8), at(8, 2))).toEqual([]);
    sim.setFault('silent', false);
    sim.setFault('garbage', true);
    const messages = run(sim, at(8, 2) + 500, at(8, 3));
    expect(telemetry(messages)).toHaveLength(0);
    const raw = messages.filter((m) => m.channel === 'raw');
    expect(raw.length).toBeGreaterThan(10);
    expect(() => JSON.parse(raw[0]!.channel === 'raw' ? raw[0]!.bytes.toString() : '{}')).toThrow();
  });
});
