import { z } from 'zod';
import { parseDuration } from '../duration.ts';

/** `500ms`, `30s`, `5m`, `2h`, `7d` (or a number of milliseconds) → milliseconds. */
export const durationMs = z
  .union([z.number(), z.string()], { error: 'expected a duration such as 500ms, 30s, 5m, 2h or 7d' })
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : parseDuration(value);
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a duration (write 500ms, 30s, 5m, 2h or 7d)`,
      });
      return z.NEVER;
    }
    return Math.round(ms);
  });

export const port = z.number().int().min(0).max(65535);

/** Ids that are safe in an MQTT topic level, a URL and an InfluxDB tag. */
export const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'use letters, digits, "-", "_" and "." (no spaces, "/", "+" or "#")',
  );

/** A password in the config: plain (usually from `${ENV}`) or an scrypt hash `scrypt$…`. */
export const secret = z.string().min(1, 'must not be empty');

/** MQTT topic filter with + and # wildcards. */
export const topicFilter = z
  .string()
  .min(1)
  .refine((f) => !/(^|\/)#./.test(f) && !/[^/]\+|\+[^/]/.test(f), 'not a valid MQTT topic filter');
