import { z } from 'zod';
import { durationMs, identifier, secret } from '../../gateway/config/common.ts';
import { SEVERITIES, type Severity } from './rule.ts';

/** What happened to an alert, as a notification says it. */
export const NOTIFY_EVENTS = ['fired', 'acknowledged', 'resolved', 'escalated'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'write a time of day as HH:MM (00:00-23:59)')
  .transform((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));

/**
 * Quiet hours of one channel: from `from` to `to` (local time, may span midnight) on `days`,
 * only severities in `allow` go out; the rest are recorded as suppressed, not sent later.
 */
export const quietRuleSchema = z.strictObject({
  from: clockTime,
  to: clockTime,
  days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
  allow: z.array(z.enum(SEVERITIES)).default(['critical']),
});
export type QuietRule = z.output<typeof quietRuleSchema>;

const channelBase = {
  id: identifier,
  quiet: z.array(quietRuleSchema).default([]),
};

export const WEBHOOK_PRESETS = ['json', 'wecom', 'dingtalk', 'slack'] as const;
export type WebhookPreset = (typeof WEBHOOK_PRESETS)[number];

export const webhookChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('webhook'),
  // Checked for its scheme only: a robot URL elided in documentation (`https://…`) still reads,
  // and a URL the network refuses is reported by the first delivery, with the channel's name.
  url: z.string().regex(/^https?:\/\/\S+$/, 'write the robot or webhook URL as http(s)://…'),
  /** Signs every body: `X-CGW-Signature: sha256=<hex HMAC-SHA256>` (DingTalk: also its `sign`). */
  secret: secret.optional(),
  preset: z.enum(WEBHOOK_PRESETS).default('json').meta({
    description: 'json: the alert object; wecom / dingtalk: group robot markdown; slack: {text, blocks}',
  }),
  timeout: durationMs.default(5000),
});
export type WebhookChannelConfig = z.output<typeof webhookChannelSchema>;

export const mqttChannelSchema = z.strictObject({
  ...channelBase,
  type: z.literal('mqtt'),
});
export type MqttChannelConfig = z.output<typeof mqttChannelSchema>;

export const channelSchema = z.discriminatedUnion('type', [webhookChannelSchema, mqttChannelSchema]);
export type ChannelConfig = z.output<typeof channelSchema>;

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

/** A notification goes to every channel of every route whose team, severity and event match. */
export const routeSchema = z.strictObject({
  team: oneOrMany(identifier).optional().meta({ description: 'absent: every team' }),
  severity: oneOrMany(z.enum(SEVERITIES)).optional().meta({ description: 'absent: every severity' }),
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).optional().meta({ description: 'absent: every event' }),
  channels: z.array(identifier).min(1),
});
export type RouteConfig = z.output<typeof routeSchema>;

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const notifySchema = z
  .strictObject({
    /** Where technicians reach the gateway: the base of acknowledge links. Default: its own address. */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    ackLinkTtl: durationMs.default(86_400_000).meta({ description: 'how long an acknowledge link works' }),
    timeZone: z
      .string()
      .refine(validTimeZone, 'not an IANA time zone (e.g. Asia/Shanghai)')
      .optional()
      .meta({ description: 'for quiet hours; default: the system time zone' }),
    retry: z
      .strictObject({
        min: durationMs.default(1000),
        max: durationMs.default(300_000),
        giveUpAfter: durationMs.default(86_400_000),
      })
      .prefault({}),
    channels: z.array(channelSchema).default([]),
    routes: z.array(routeSchema).default([]),
  })
  .superRefine((notify, ctx) => {
    const ids = new Set<string>();
    notify.channels.forEach((c, i) => {
      if (ids.has(c.id))
        ctx.addIssue({
          code: 'custom',
          path: ['channels', i, 'id'],
          message: `duplicate channel id "${c.id}"`,
        });
      ids.add(c.id);
    });
    notify.routes.forEach((r, i) =>
      r.channels.forEach((c, j) => {
        if (!ids.has(c))
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'channels', j],
            message: `no channel "${c}" in notify.channels`,
          });
      }),
    );
    if (notify.retry.min > notify.retry.max)
      ctx.addIssue({ code: 'custom', path: ['retry', 'min'], message: 'min must not exceed max' });
  });
export type NotifyConfig = z.output<typeof notifySchema>;

/** Without a `notify:` section every alert change goes to the MQTT alert topic, as DESIGN.md promises. */
export function defaultNotify(): NotifyConfig {
  return notifySchema.parse({ channels: [{ id: 'mqtt', type: 'mqtt' }], routes: [{ channels: ['mqtt'] }] });
}

export type { Severity };
