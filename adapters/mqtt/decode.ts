import { z } from 'zod';
import type { RejectReason } from '../../gateway/bus.ts';
import type { DeviceEvent, DeviceKind, Reading, Scalar, Status } from '../../gateway/types.ts';
import type { Channel } from './topics.ts';

/**
 * Pure conversion from an MQTT payload to the core's normalised values. No I/O: unit- and
 * property-tested on raw bytes.
 */

const EARLIEST_TS = Date.UTC(2000, 0, 1);
const MAX_FUTURE_MS = 24 * 3_600_000;

const scalar = z.union([z.number(), z.boolean(), z.string().max(256)]);
const nonNegativeInt = z.number().int().nonnegative();

/** The canonical telemetry fields of DESIGN.md; other scalar fields are kept as sent. */
const CANONICAL: Record<DeviceKind, Record<string, z.ZodType>> = {
  access: { door_open: z.boolean(), locked: z.boolean() },
  camera: { online: z.boolean(), snapshot_ms: z.number().nonnegative() },
  elevator: {
    floor: z.number().int(),
    direction: z.enum(['up', 'down', 'idle']),
    door_open: z.boolean(),
    moving: z.boolean(),
    load_kg: z.number().nonnegative(),
    speed_mps: z.number(),
    mode: z.enum(['normal', 'inspection', 'fire']),
    fault_code: nonNegativeInt,
  },
  pump: {
    running: z.boolean(),
    outlet_pressure_bar: z.number(),
    inlet_pressure_bar: z.number(),
    flow_m3h: z.number(),
    motor_current_a: z.number(),
    frequency_hz: z.number(),
    tank_level_pct: z.number(),
    fault_code: nonNegativeInt,
  },
};

/** Extra fields of known events, checked when present. */
const EVENT_FIELDS: Record<string, z.ZodType> = {
  credential: z.enum(['card', 'face', 'qr', 'pin']),
  person: z.string().min(1).max(128),
  reason: z.string().max(256),
  seconds: z.number().nonnegative(),
  code: z.number(),
};

const timestamp = z.union([z.number(), z.string().max(64)]).optional();

const FIELD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The hot path (STYLE.md: measure, then optimise): a hand-written check of the telemetry zod
 * schemas above, accepting only what they accept. Anything it is not sure of — a wrong type, an
 * odd field name, an oversized string — goes to zod, which decides and words the error. Tested
 * against zod on random payloads (decode.test.ts).
 */
type Check = (value: unknown) => boolean;
const isBool: Check = (v) => typeof v === 'boolean';
const isNum: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isNonNeg: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isInt: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v);
const isNonNegInt: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const oneOf =
  (...options: string[]): Check =>
  (v) =>
    typeof v === 'string' && options.includes(v);
const isScalar: Check = (v) =>
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (typeof v === 'string' && v.length <= 256);

const FAST: Record<DeviceKind, Record<string, Check>> = {
  access: { door_open: isBool, locked: isBool },
  camera: { online: isBool, snapshot_ms: isNonNeg },
  elevator: {
    floor: isInt,
    direction: oneOf('up', 'down', 'idle'),
    door_open: isBool,
    moving: isBool,
    load_kg: isNonNeg,
    speed_mps: isNum,
    mode: oneOf('normal', 'inspection', 'fire'),
    fault_code: isNonNegInt,
  },
  pump: {
    running: isBool,
    outlet_pressure_bar: isNum,
    inlet_pressure_bar: isNum,
    flow_m3h: isNum,
    motor_current_a: isNum,
    frequency_hz: isNum,
    tank_level_pct: isNum,
    fault_code: isNonNegInt,
  },
};

/** Field names already found good: a set lookup instead of a regex per field (bounded). */
const goodNames = new Set<string>();

function goodName(key: string): boolean {
  if (goodNames.has(key)) return true;
  if (!FIELD_NAME.test(key)) return false;
  if (goodNames.size < 4096) goodNames.add(key);
  return true;
}

/** The payload's values when they are plainly valid, else undefined (zod decides). */
export function fastValues(
  kind: DeviceKind,
  json: Record<string, unknown>,
): Record<string, Scalar> | undefined {
  const ts = json.ts;
  if (ts !== undefined && typeof ts !== 'number' && !(typeof ts === 'string' && ts.length <= 64)) return;
  const values = json.values;
  if (values === null || typeof values !== 'object' || Array.isArray(values)) return;
  const canonical = FAST[kind];
  let count = 0;
  for (const key in values) {
    const value = (values as Record<string, unknown>)[key];
    const check = Object.hasOwn(canonical, key) ? canonical[key]! : undefined;
    if (check ? !check(value) : !isScalar(value) || !goodName(key)) return;
    if (++count > 200) return;
  }
  return count === 0 ? undefined : (values as Record<string, Scalar>);
}

function valuesSchema(kind: DeviceKind) {
  const known = Object.fromEntries(Object.entries(CANONICAL[kind]).map(([k, s]) => [k, s.optional()]));
  // Checking the keys in one loop is several times cheaper than a z.record in front of the object.
  return z
    .object(known)
    .catchall(scalar)
    .superRefine((values, ctx) => {
      let count = 0;
      for (const key in values) {
        count++;
        if (!FIELD_NAME.test(key))
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'field names are lower_snake_case, at most 64 characters',
          });
      }
      if (count === 0) ctx.addIssue({ code: 'custom', message: 'values is empty' });
      if (count > 200) ctx.addIssue({ code: 'custom', message: 'more than 200 values' });
    });
}

export const telemetrySchemas = Object.fromEntries(
  (Object.keys(CANONICAL) as DeviceKind[]).map((kind) => [
    kind,
    z.object({ ts: timestamp, values: valuesSchema(kind) }),
  ]),
) as unknown as Record<DeviceKind, z.ZodType<{ ts?: number | string; values: Record<string, Scalar> }>>;

const eventSchema = z
  .object({
    ts: timestamp,
    type: z
      .string()
      .max(64)
      .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, 'type is dotted lower_snake_case, e.g. door.forced'),
    ...Object.fromEntries(Object.entries(EVENT_FIELDS).map(([k, s]) => [k, s.optional()])),
  })
  .catchall(scalar);

const statusSchema = z.object({ ts: timestamp, online: z.boolean(), reason: z.string().max(256).optional() });

export type Decoded =
  | { ok: true; channel: 'telemetry'; reading: Reading }
  | { ok: true; channel: 'event'; event: DeviceEvent }
  | { ok: true; channel: 'status'; status: Status }
  | { ok: false; reason: RejectReason; detail: string };

export interface DecodeTarget {
  deviceId: string;
  kind: DeviceKind;
  channel: Channel;
}

/** Decodes one payload for a known device; `now` is the arrival time, the default `ts`. */
export function decodePayload(target: DecodeTarget, payload: Uint8Array, now: number): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: (err as Error).message };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return { ok: false, reason: 'invalid_payload', detail: 'payload must be a JSON object' };
  }
  switch (target.channel) {
    case 'telemetry': {
      let values = fastValues(target.kind, json as Record<string, unknown>);
      let rawTs = (json as { ts?: number | string }).ts;
      if (!values) {
        const parsed = telemetrySchemas[target.kind].safeParse(json);
        if (!parsed.success) return invalid(parsed.error);
        values = parsed.data.values;
        rawTs = parsed.data.ts;
      }
      const ts = toEpochMs(rawTs, now);
      if (typeof ts === 'string') return { ok: false, reason: 'invalid_payload', detail: ts };
      return { ok: true, channel: 'telemetry', reading: { deviceId: target.deviceId, ts, values } };
    }
    case 'event': {
      const parsed = eventSchema.safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      const { ts: rawTs, type, ...data } = parsed.data;
      const ts = toEpochMs(rawTs, now);
      if (typeof ts === 'string') return { ok: false, reason: 'invalid_payload', detail: ts };
      return {
        ok: true,
        channel: 'event',
        event: { deviceId: target.deviceId, ts, type, data: data as Record<string, Scalar> },
      };
    }
    case 'status': {
      const parsed = statusSchema.safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      const ts = toEpochMs(parsed.data.ts, now);
      if (typeof ts === 'string') return { ok: false, reason: 'invalid_payload', detail: ts };
      const reason = parsed.data.reason ?? (parsed.data.online ? 'status message' : 'reported offline');
      return {
        ok: true,
        channel: 'status',
        status: { deviceId: target.deviceId, ts, online: parsed.data.online, reason },
      };
    }
  }
}

/** Epoch ms from a number or an ISO 8601 string; a string result is the reason it was refused. */
export function toEpochMs(ts: number | string | undefined, now: number): number | string {
  if (ts === undefined) return now;
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts)) return 'ts is not a finite number';
    if (ts > 0 && ts < 1e11) return 'ts looks like seconds: send epoch milliseconds or ISO 8601';
    ms = Math.round(ts);
  } else {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(ts))
      return 'ts is not ISO 8601 with a time zone (e.g. 2026-05-01T08:00:00Z)';
    ms = Date.parse(ts);
    if (Number.isNaN(ms)) return 'ts is not a valid date';
  }
  if (ms < EARLIEST_TS) return 'ts is before the year 2000';
  if (ms > now + MAX_FUTURE_MS) return 'ts is more than a day in the future';
  return ms;
}

function invalid(error: z.ZodError): Decoded {
  const detail = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(payload)'}: ${i.message}`)
    .join('; ');
  return { ok: false, reason: 'invalid_payload', detail };
}
