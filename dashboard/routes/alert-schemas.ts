import { z } from 'zod';
import { GatewayError } from '../../gateway/errors.ts';
import { DEVICE_KINDS } from '../../gateway/types.ts';
import { ALERT_STATES } from '../../rules/lifecycle.ts';
import { SEVERITIES } from '../../rules/schema/rule.ts';
import type { AlertService } from '../../rules/service.ts';
import type { DashboardDeps } from '../app.ts';

/** What the alert, KPI and event routes share: answer schemas (they document; handlers build typed values). */

/** The engine, or 503 when the gateway runs without one. */
export function alertServiceOf(deps: DashboardDeps): () => AlertService {
  return () => {
    if (!deps.alerts) throw new GatewayError('CGW_STORE_UNAVAILABLE', 'the rule engine is not running');
    return deps.alerts;
  };
}

export const alertParams = z.strictObject({
  id: z.string().min(1).max(100).meta({ description: 'alert id' }),
});

const epochMs = z.number().meta({ description: 'epoch milliseconds' });
const scalar = z.union([z.number(), z.boolean(), z.string()]);

export const alertSchema = z.object({
  id: z.string(),
  rule: z.string(),
  device: z.string(),
  deviceName: z.string(),
  site: z.string(),
  kind: z.enum(DEVICE_KINDS),
  severity: z.enum(SEVERITIES),
  team: z.string(),
  message: z.string(),
  state: z.enum(ALERT_STATES),
  startedAt: epochMs,
  ackedAt: epochMs.nullable(),
  ackedBy: z.string().nullable().meta({ description: 'a username, or link:<channel> for a signed link' }),
  resolvedAt: epochMs.nullable(),
  resolvedBy: z.string().nullable().meta({ description: 'null when the condition cleared by itself' }),
  escalatedAt: epochMs.nullable(),
  field: z.string().nullable(),
  value: scalar.nullable().meta({ description: 'the latest value while open' }),
  trigger: z
    .object({ type: z.enum(['reading', 'event', 'status', 'time']), ts: epochMs })
    .catchall(z.unknown())
    .meta({ description: 'the reading, event or status that made it fire' }),
  count: z.number().int().meta({ description: 'times it fired while open (repeats and re-openings)' }),
  lastFiredAt: epochMs,
  manual: z.boolean().meta({ description: 'fired by an event: only a person resolves it' }),
  snapshots: z.array(z.string()).meta({ description: 'cameras with a snapshot for this alert' }),
  seq: z.number().int(),
});

export const historyEntrySchema = z.object({
  ts: epochMs,
  action: z.enum(['fired', 'reopened', 'acknowledged', 'resolved', 'escalated']),
  by: z.string().nullable(),
  note: z.string().nullable(),
});

export const deliverySchema = z.object({
  channel: z.string(),
  event: z.string(),
  state: z.enum(['pending', 'sent', 'dead', 'cancelled', 'suppressed']),
  attempts: z.number().int(),
  createdAt: epochMs,
  sentAt: epochMs.nullable(),
  lastError: z.string().nullable(),
});

export const alertDetailSchema = alertSchema.extend({
  history: z.array(historyEntrySchema),
  deliveries: z.array(deliverySchema),
});

const responseStatsSchema = z.object({
  count: z.number().int(),
  acknowledged: z.number().int(),
  resolved: z.number().int(),
  meanTimeToAckMs: z.number().nullable(),
  p90TimeToAckMs: z.number().nullable(),
  meanTimeToResolveMs: z.number().nullable(),
  p90TimeToResolveMs: z.number().nullable(),
});

export const kpiSchema = z.object({
  from: epochMs,
  to: epochMs,
  alerts: responseStatsSchema,
  byTeam: z.record(z.string(), responseStatsSchema),
  bySeverity: z.record(z.string(), responseStatsSchema),
  availability: z.number().nullable().meta({ description: 'mean over devices with a known state, 0-1' }),
  devices: z.array(
    z.object({
      device: z.string(),
      kind: z.enum(DEVICE_KINDS),
      availability: z.number().nullable(),
      onlineMs: z.number(),
      offlineMs: z.number(),
    }),
  ),
});

export const deviceEventSchema = z.object({
  deviceId: z.string(),
  ts: epochMs,
  type: z.string(),
  data: z.record(z.string(), scalar).meta({ description: 'person fields are pseudonyms' }),
});
