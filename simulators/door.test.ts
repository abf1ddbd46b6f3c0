import { describe, expect, it } from 'vitest';
import type { SimMessage } from './device-simulator.ts';
import {
  createDoorSimulator,
  DENIAL_REASONS,
  type DoorSimulator,
  type DoorSimulatorOptions,
} from './door.ts';

const UTC = { utcOffsetMinutes: 0 };
const at = (hour: number, minute = 0): number => Date.UTC(2024, 5, 3, hour, minute);

function door(options: Partial<DoorSimulatorOptions> = {}): DoorSimulator {
  return createDoorSimulator({ id: 'door-1', startAt: at(8), seed: 11, pattern: UTC, ...options });
}

/** Steps a model with a fake clock from its start, collecting everything it says. */
function run(sim: DoorSimulator, from: number, to: number, stepMs = 500): SimMessage[] {
  const out: SimMessage[] = [];
  for (let t = from; t <= to; t += stepMs) out.push(...sim.step(t));
  return out;
}

const events = (messages: SimMessage[], type?: string) =>
  messages.filter(
    (m): m is Extract<SimMessage, { channel: 'event' }> =>
      m.channel === 'event' && (type === undefined || m.type === type),
  );
const telemetry = (messages: SimMessage[]) =>
  messages.filter((m): m is Extract<SimMessage, { channel: 'telemetry' }> => m.channel === 'telemetry');

describe('door simulator', () => {
  it('replays exactly from the same seed and differs with another seed', () => {
    const a = run(door(), at(8), at(8, 20));
    const b = run(door(), at(8), at(8, 20));
    const c = run(door({ seed: 12 }), at(8), at(8, 20));
    expect(events(a).length).toBeGreaterThan(5);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });

  it('follows the daily pattern: a busy morning, a quiet night', () => {
    const morning = events(run(door({ startAt: at(7) }), at(7), at(9), 1_000)).length;
    const night = events(run(door({ startAt: at(1) }), at(1), at(3), 1_000)).length;
    expect(morning).toBeGreaterThan(60);
    expect(night).toBeLessThan(morning / 5);
  });

  it('reports access with credentials and pseudonymous persons only', () => {
    const messages = run(door({ deniedRatio: 0.2 }), at(8), at(9), 1_000);
    const granted = events(messages, 'access.granted');
    const denied = events(messages, 'access.denied');
    expect(granted.length).toBeGreaterThan(20);
    expect(denied.length).toBeGreaterThan(3);
    for (const e of granted) {
      expect(['card', 'face', 'qr', 'pin']).toContain(e.data.credential);
      expect(e.data.person).toMatch(/^[pv]-[0-9a-f]{8}$/);
      expect(['in', 'out']).toContain(e.data.direction);
    }
    for (const e of denied) {
      expect(DENIAL_REASONS).toContain(e.data.reason);
      if (e.data.reason === 'unknown_card') expect(e.data.person).toBeUndefined();
      else expect(e.data.person).toMatch(/^p-[0-9a-f]{8}$/);
    }
    // Mornings go out more than in.
    const out = granted.filter((e) => e.data.direction === 'out').length;
    expect(out).toBeGreaterThan(granted.length / 2);
  });

  it('unlocks and opens on a granted access, then closes and relocks within the open time', () => {
    const messages = run(door({ openMs: [3_000, 8_000] }), at(8), at(8, 30), 250);
    const firstGrant = events(messages, 'access.granted')[0]!;
    const after = telemetry(messages).filter((m) => m.at >= firstGrant.at);
    expect(after[0]).toMatchObject({ at: firstGrant.at, values: { door_open: true, locked: false } });
    const closed = after.find((m) => m.values.door_open === false)!;
    expect(closed.values.locked).toBe(true);
    expect(closed.at - firstGrant.at).toBeGreaterThanOrEqual(3_000);
    // Someone else badging in keeps it open longer; it closes at most 8 s after the last grant.
    const lastGrant = events(messages, 'access.granted')
      .filter((e) => e.at < closed.at)
      .at(-1)!;
    expect(closed.at - lastGrant.at).toBeLessThanOrEqual(8_000);
    for (const m of telemetry(messages)) {
      expect(typeof m.values.door_open).toBe('boolean');
      expect(typeof m.values.locked).toBe('boolean');
      // An unlocked door is only ever seen while it is open after a grant.
      if (m.values.locked === false) expect(m.values.door_open).toBe(true);
    }
  });

  it('sends telemetry periodically even when nothing happens', () => {
    const sim = door({ accessPerHourAtPeak: 0, telemetryMs: 10_000 });
    const t = telemetry(run(sim, at(8), at(8, 1), 1_000));
    expect(t.length).toBeGreaterThanOrEqual(6);
    expect(t.length).toBeLessThanOrEqual(7);
    expect(t.every((m) => m.values.door_open === false && m.values.locked === true)).toBe(true);
  });

  it('reports its state at once when asked (on connect), whatever the interval', () => {
    const sim = door({ accessPerHourAtPeak: 0, telemetryMs: 60_000 });
    run(sim, at(8), at(8) + 5_000);
    expect(telemetry(sim.step(at(8) + 5_500))).toHaveLength(0);
    sim.reportNow();
    expect(telemetry(sim.step(at(8) + 6_000))).toEqual([
      { channel: 'telemetry', at: at(8) + 6_000, values: { door_open: false, locked: true } },
    ]);
    expect(telemetry(sim.step(at(8) + 6_500))).toHaveLength(0);
  });

  it('forced: door.forced and door_open while still locked, until switched off', () => {
    const sim = door({ accessPerHourAtPeak: 0 });
    run(sim, at(8), at(8) + 5_000);
    sim.setFault('forced', true);
    const during = run(sim, at(8) + 5_500, at(8) + 120_000);
    expect(events(during, 'door.forced')).toHaveLength(1);
    expect(events(during, 'door.forced')[0]!.at).toBe(at(8) + 5_000);
    expect(telemetry(during)[0]!.values).toEqual({ door_open: true, locked: true });
    expect(telemetry(during).every((m) => m.values.door_open === true)).toBe(true);
    // A forced door is not "held open": that event is for a door opened legitimately.
    expect(events(during, 'door.held_open')).toHaveLength(0);
    sim.setFault('forced', false);
    const after = run(sim, at(8) + 120_500, at(8) + 121_000);
    expect(telemetry(after)[0]!.values).toEqual({ door_open: false, locked: true });
    expect(sim.state().doorOpen).toBe(false);
  });

  it('heldOpen: one door.held_open with the seconds after the threshold, closes when cleared', () => {
    const sim = door({ accessPerHourAtPeak: 0, heldOpenAfterMs: 30_000 });
    run(sim, at(8), at(8) + 1_000);
    sim.setFault('heldOpen', true);
    const early = run(sim, at(8) + 1_500, at(8) + 30_500);
    expect(events(early, 'access.granted')).toHaveLength(1);
    expect(events(early, 'door.held_open')).toHaveLength(0);
    const later = run(sim, at(8) + 31_000, at(8) + 120_000);
    const held = events(later, 'door.held_open');
    expect(held).toHaveLength(1);
    expect(held[0]!.data.seconds).toBe(30);
    expect(held[0]!.at).toBe(at(8) + 31_000);
    expect(sim.state().doorOpen).toBe(true);
    sim.setFault('heldOpen', false);
    run(sim, at(8) + 120_500, at(8) + 121_000);
    expect(sim.state()).toMatchObject({ doorOpen: false, locked: true });
  });

  it('tamper: one tamper event when switched on', () => {
    const sim = door({ accessPerHourAtPeak: 0 });
    sim.setFault('tamper', true);
    const messages = run(sim, at(8), at(8, 5));
    expect(events(messages, 'tamper')).toEqual([
      { channel: 'event', at: at(8), type: 'tamper', data: { active: true } },
    ]);
    expect(sim.activeFaults()).toEqual(['tamper']);
  });

  it('silent and offline: nothing is sent, but the door keeps living', () => {
    for (const fault of ['silent', 'offline'] as const) {
      const sim = door();
      sim.setFault(fault, true);
      expect(run(sim, at(8), at(8, 10))).toEqual([]);
      sim.setFault(fault, false);
      const back = run(sim, at(8, 10) + 500, at(8, 11));
      expect(telemetry(back).length).toBeGreaterThan(0);
    }
  });

  it('garbage: telemetry becomes malformed bytes, starting with non-JSON; events stay intact', () => {
    const sim = door({ telemetryMs: 1_000 });
    sim.setFault('garbage', true);
    const messages = run(sim, at(8), at(8, 2));
    expect(telemetry(messages)).toHaveLength(0);
    const raw = messages.filter((m) => m.channel === 'raw');
    expect(raw.length).toBeGreaterThan(20);
    const first = raw[0]!;
    expect(first.channel === 'raw' && first.on).toBe('telemetry');
    const texts = raw.map((m) => (m.channel === 'raw' ? m.bytes.toString('latin1') : ''));
    expect(() => JSON.parse(texts[0]!)).toThrow();
    // Nothing in the rotation is a well-formed telemetry payload.
    for (const text of texts) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        continue;
      }
      const p = parsed as { ts?: unknown; values?: Record<string, unknown> };
      const wellFormed =
        typeof p.ts === 'number' &&
        p.values !== null &&
        typeof p.values === 'object' &&
        !Array.isArray(p.values) &&
        typeof p.values.door_open === 'boolean' &&
        typeof p.values.locked === 'boolean';
      expect(wellFormed).toBe(false);
    }
    expect(events(messages).length).toBeGreaterThan(0);
  });

  it('refuses a fault it does not know', () => {
    const sim = door();
    expect(() => sim.setFault('entrapment' as 'forced', true)).toThrow(RangeError);
    expect(sim.faultNames).toContain('heldOpen');
  });
});
