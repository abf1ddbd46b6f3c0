import { z } from 'zod';
import { REJECT_REASONS } from '../gateway/bus.ts';
import { DEVICE_KINDS } from '../gateway/types.ts';

/**
 * Answer schemas shared by routes and the OpenAPI document. Handlers build these shapes from
 * typed values; the schemas document them (and tests check answers against them).
 */

const scalar = z.union([z.number(), z.boolean(), z.string()]);
const epochMs = z.number().meta({ description: 'epoch milliseconds' });

export const fieldStateSchema = z.object({
  value: scalar.nullable().meta({ description: 'null when the value could not be read' }),
  ts: epochMs,
  quality: z.enum(['good', 'missing', 'stale']),
});

export const deviceSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(DEVICE_KINDS),
  site: z.string(),
  name: z.string(),
  protocol: z.enum(['mqtt', 'modbus', 'onvif']),
  labels: z.record(z.string(), z.string()),
  online: z.boolean().nullable().meta({ description: 'null until the device is first heard from' }),
  reason: z.string().meta({ description: 'why the device is in its online state' }),
  lastSeen: epochMs.nullable(),
  since: epochMs.meta({ description: 'epoch ms since which `online` holds' }),
  values: z.record(z.string(), fieldStateSchema),
});

export const deviceDetailSchema = deviceSummarySchema.extend({
  links: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(DEVICE_KINDS),
      name: z.string(),
      online: z.boolean().nullable(),
    }),
  ),
  lastEvent: z.object({ type: z.string(), ts: epochMs }).nullable(),
  offlineAfterMs: z.number().nullable(),
});

export const seriesAnswerSchema = z.object({
  device: z.string(),
  field: z.string(),
  from: epochMs,
  to: epochMs,
  points: z.array(z.object({ ts: epochMs, value: scalar })),
});

export const deadLetterSchema = z.object({
  ts: epochMs,
  reason: z.enum(REJECT_REASONS),
  source: z.string(),
  deviceId: z.string().optional(),
  topic: z.string().optional(),
  detail: z.string(),
  sample: z.string().meta({ description: 'the first bytes of the payload' }),
});

export const deadLettersAnswerSchema = z.object({
  total: z.number().int().meta({ description: 'rejected inputs since start (the list keeps the newest)' }),
  items: z.array(deadLetterSchema),
});
