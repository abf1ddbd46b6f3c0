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

const telemetrySchemas = Object.fromEntries(
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
      const parsed = telemetrySchemas[target.kind].safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      const ts = toEpochMs(parsed.data.ts, now);
      if (typeof ts === 'string') return { ok: false, reason: 'invalid_payload', detail: ts };
      return {
        ok: true,
        channel: 'telemetry',
        reading: { deviceId: target.deviceId, ts, values: parsed.data.values },
      };
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
