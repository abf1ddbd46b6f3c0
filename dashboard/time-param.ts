import { z } from 'zod';

const EPOCH_MS = /^\d{1,15}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Epoch milliseconds (`1714564800000`) or ISO 8601 (`2024-05-01`, `2024-05-01T12:00:00Z`,
 * `2024-05-01T14:00:00+02:00`) → epoch ms; undefined when it is neither. A time without an offset
 * is the gateway's local time (ISO 8601's rule). An unescaped `+` in a query string arrives as a
 * space, so `…T14:00:00 02:00` is read as `+02:00`.
 */
export function parseTime(text: string): number | undefined {
  if (EPOCH_MS.test(text)) return Number(text);
  const iso = text.replace(/(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$/, '$1+$2');
  if (!ISO_8601.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A query parameter holding a time, as `parseTime` reads it. */
export const timeParam = z
  .string()
  .transform((text, ctx) => {
    const ms = parseTime(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text.slice(0, 40)}" is not a time: give epoch milliseconds or ISO 8601 (2024-05-01T12:00:00Z)`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'epoch milliseconds or ISO 8601' });
