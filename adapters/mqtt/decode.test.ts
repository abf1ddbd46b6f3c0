import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS } from '../../gateway/types.ts';
import { decodePayload, fastValues, telemetrySchemas, toEpochMs, type DecodeTarget } from './decode.ts';
import { CHANNELS } from './topics.ts';

const NOW = Date.UTC(2026, 10, 27, 8, 0, 0);
const lift: DecodeTarget = { deviceId: 'lift-1', kind: 'elevator', channel: 'telemetry' };
const door = (channel: DecodeTarget['channel']): DecodeTarget => ({
  deviceId: 'door-1',
  kind: 'access',
  channel,
});
const bytes = (value: unknown): Buffer =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodePayload: telemetry', () => {
  it('takes canonical values and stamps the arrival time when ts is absent', () => {
    const result = decodePayload(
      lift,
      bytes({ values: { floor: 7, direction: 'up', moving: true, load_kg: 320.5 } }),
      NOW,
    );
    expect(result).toEqual({
      ok: true,
      channel: 'telemetry',
      reading: {
        deviceId: 'lift-1',
        ts: NOW,
        values: { floor: 7, direction: 'up', moving: true, load_kg: 320.5 },
      },
    });
  });

  it('reads ts as epoch ms or ISO 8601', () => {
    const iso = decodePayload(lift, bytes({ ts: '2026-11-27T07:59:00+08:00', values: { floor: 1 } }), NOW);
    expect(iso.ok && iso.channel === 'telemetry' && iso.reading.ts).toBe(Date.UTC(2026, 10, 26, 23, 59, 0));
    const ms = decodePayload(lift, bytes({ ts: NOW - 5000, values: { floor: 1 } }), NOW);
    expect(ms.ok && ms.channel === 'telemetry' && ms.reading.ts).toBe(NOW - 5000);
  });

  it('keeps extra scalar fields a vendor sends', () => {
    const result = decodePayload(lift, bytes({ values: { floor: 2, cabin_temp_c: 24.5 } }), NOW);
    expect(result.ok && result.channel === 'telemetry' && result.reading.values.cabin_temp_c).toBe(24.5);
  });

  it.each([
    ['not JSON', '{"values":', 'not_json'],
    ['an array', [1, 2], 'invalid_payload'],
    ['no values', { ts: NOW }, 'invalid_payload'],
    ['empty values', { values: {} }, 'invalid_payload'],
    ['a string floor', { values: { floor: '3' } }, 'invalid_payload'],
    ['a fractional floor', { values: { floor: 3.5 } }, 'invalid_payload'],
    ['an unknown direction', { values: { direction: 'sideways' } }, 'invalid_payload'],
    ['a nested value', { values: { floor: 1, extra: { a: 1 } } }, 'invalid_payload'],
    ['a bad field name', { values: { 'Floor Number': 1 } }, 'invalid_payload'],
    ['ts in seconds', { ts: 1_795_000_000, values: { floor: 1 } }, 'invalid_payload'],
    ['ts far in the future', { ts: NOW + 3 * 86_400_000, values: { floor: 1 } }, 'invalid_payload'],
    ['ts without zone', { ts: '2026-11-27 08:00', values: { floor: 1 } }, 'invalid_payload'],
  ])('rejects %s', (_name, payload, reason) => {
    const result = decodePayload(lift, bytes(payload), NOW);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.detail.length).toBeGreaterThan(3);
    }
  });

  it('names the offending field in the detail', () => {
    const result = decodePayload(lift, bytes({ values: { load_kg: 'heavy' } }), NOW);
    expect(!result.ok && result.detail).toContain('values.load_kg');
  });
});

describe('decodePayload: events and status', () => {
  it('takes an event with its extra fields', () => {
    const result = decodePayload(door('event'), bytes({ type: 'door.held_open', seconds: 95 }), NOW);
    expect(result).toEqual({
      ok: true,
      channel: 'event',
      event: { deviceId: 'door-1', ts: NOW, type: 'door.held_open', data: { seconds: 95 } },
    });
  });

  it('rejects an event without a type, a bad credential, a nested field', () => {
    for (const payload of [
      { seconds: 1 },
      { type: 'access.granted', credential: 'iris' },
      { type: 'x', a: [1] },
    ]) {
      const result = decodePayload(door('event'), bytes(payload), NOW);
      expect(result.ok).toBe(false);
    }
  });

  it('reads a status', () => {
    const result = decodePayload(door('status'), bytes({ online: false }), NOW);
    expect(result.ok && result.channel === 'status' && result.status).toEqual({
      deviceId: 'door-1',
      ts: NOW,
      online: false,
      reason: 'reported offline',
    });
    expect(decodePayload(door('status'), bytes({ online: 'yes' }), NOW).ok).toBe(false);
  });
});

describe('decodePayload never throws (property)', () => {
  const target = fc.record({
    deviceId: fc.constant('d-1'),
    kind: fc.constantFrom(...DEVICE_KINDS),
    channel: fc.constantFrom(...CHANNELS),
  });

  it('on random bytes', () => {
    fc.assert(
      fc.property(target, fc.uint8Array({ maxLength: 300 }), (t, payload) => {
        const result = decodePayload(t, payload, NOW);
        if (!result.ok) expect(['not_json', 'invalid_payload']).toContain(result.reason);
      }),
      { numRuns: 3000 },
    );
  });

  it('on random JSON', () => {
    fc.assert(
      fc.property(target, fc.json({ maxDepth: 3 }), (t, text) => {
        const result = decodePayload(t, Buffer.from(text), NOW);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('on payloads shaped like telemetry with random values; accepted ones keep only scalars', () => {
    const value = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.string(),
      fc.constant(null),
      fc.array(fc.integer()),
    );
    const payload = fc.record(
      {
        ts: fc.oneof(
          fc.integer(),
          fc.string(),
          fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
        ),
        values: fc.dictionary(fc.string({ maxLength: 12 }), value),
      },
      { requiredKeys: ['values'] },
    );
    fc.assert(
      fc.property(target, payload, (t, p) => {
        const result = decodePayload({ ...t, channel: 'telemetry' }, Buffer.from(JSON.stringify(p)), NOW);
        if (result.ok && result.channel === 'telemetry') {
          for (const v of Object.values(result.reading.values))
            expect(['number', 'boolean', 'string']).toContain(typeof v);
          expect(Number.isFinite(result.reading.ts)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the telemetry fast path agrees with the zod schema (property)', () => {
  // Values near the edges of every canonical check, under canonical and random names.
  const value = fc.oneof(
    fc.boolean(),
    fc.integer({ min: -5, max: 5 }),
    fc.double(),
    fc.constantFrom(2 ** 53, 2 ** 60, -0, 0.5, -1),
    fc.constantFrom('up', 'down', 'idle', 'normal', 'fire', 'Up', ''),
    fc.string({ maxLength: 300 }),
    fc.constantFrom('x'.repeat(256), 'x'.repeat(257)),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 2 }),
  );
  const names = fc.oneof(
    fc.constantFrom('floor', 'direction', 'load_kg', 'fault_code', 'mode', 'door_open', 'locked'),
    fc.constantFrom(
      'outlet_pressure_bar',
      'snapshot_ms',
      'online',
      'battery_pct',
      'Bad',
      '_x',
      'a'.repeat(70),
    ),
    fc.string({ maxLength: 10 }),
  );
  const payload = fc.record(
    {
      ts: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), fc.constant(null)),
      values: fc.oneof(
        fc.dictionary(names, value, { maxKeys: 12 }),
        // mostly plausible: reaches the fast path often
        fc.dictionary(
          fc.constantFrom('floor', 'direction', 'mode', 'door_open', 'running', 'battery_pct', 'fault_code'),
          fc.oneof(fc.boolean(), fc.integer({ min: -2, max: 20 }), fc.constantFrom('up', 'normal', 'x')),
          { minKeys: 1, maxKeys: 4 },
        ),
        fc.constant([]),
        fc.constant(null),
      ),
      other: fc.string(),
    },
    { requiredKeys: [] },
  );

  it('accepts only what zod accepts, with the same values and ts', () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.constantFrom(...DEVICE_KINDS), payload, (kind, p) => {
        const json = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
        const quick = fastValues(kind, json);
        if (quick === undefined) return;
        fast++;
        const parsed = telemetrySchemas[kind].safeParse(json);
        expect(parsed.success).toBe(true);
        expect(quick).toEqual(parsed.data!.values);
        expect(json.ts).toEqual(parsed.data!.ts);
      }),
      { numRuns: 5000 },
    );
    expect(fast).toBeGreaterThan(250); // the generator reaches the fast path
  });

  it('takes canonical telemetry of every kind without zod', () => {
    expect(fastValues('elevator', { ts: 1, values: { floor: 3, direction: 'up', mode: 'normal' } })).toEqual({
      floor: 3,
      direction: 'up',
      mode: 'normal',
    });
    expect(fastValues('elevator', { values: { floor: 2.5 } })).toBeUndefined();
    expect(fastValues('pump', { values: {} })).toBeUndefined();
    expect(fastValues('access', { values: { door_open: 'yes' } })).toBeUndefined();
  });
});

describe('toEpochMs', () => {
  it('round-trips any ISO date within the accepted range (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(NOW), noInvalidDate: true }),
        (d) => {
          expect(toEpochMs(d.toISOString(), NOW)).toBe(d.getTime());
        },
      ),
    );
  });
});
