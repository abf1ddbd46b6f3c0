import type { Scalar } from '../types.ts';
import type { SeriesPoint } from './series-store.ts';

/**
 * InfluxDB 1.x line protocol, built by hand: the `influx` client's writePoints serialises a
 * 5,000-point batch in one synchronous 30-80 ms block (PLATFORM-NOTES); here each write() encodes
 * only its own points, so the cost is spread over the calls that bring them.
 *
 * Rules (checked against influxd 1.6.7):
 * - numbers are always floats: `3` without the `i` suffix, so 3 and 3.5 never conflict;
 *   NaN and ±Infinity cannot be written and the field is dropped;
 * - measurement: `,` and space escaped; tag keys, tag values, field keys: `,`, `=` and space;
 * - a backslash right before one of those characters or at the end of a key cannot be expressed
 *   in 1.x line protocol (the parser takes it as an escape) and becomes `/`; line breaks in keys
 *   and tag values become spaces; empty tag values are left out (InfluxDB refuses them);
 * - string field values are double-quoted with `\` and `"` escaped (line breaks are allowed);
 * - timestamps are integer milliseconds (`precision=ms`).
 */

const NEEDS_MEASUREMENT = /[, \\\r\n]/;
const NEEDS_KEY = /[,= \\\r\n]/;

/** Keys and tag values repeat endlessly: remember their escaped form (bounded). */
const keyCache = new Map<string, string>();

function escapeKey(text: string): string {
  if (!NEEDS_KEY.test(text)) return text;
  let escaped = keyCache.get(text);
  if (escaped === undefined) {
    escaped = text
      .replace(/[\r\n]/g, ' ')
      .replace(/\\(?=[,= ]|$)/g, '/')
      .replace(/[,= ]/g, '\\$&');
    if (keyCache.size >= 10_000) keyCache.clear();
    keyCache.set(text, escaped);
  }
  return escaped;
}

function escapeMeasurement(text: string): string {
  if (!NEEDS_MEASUREMENT.test(text)) return text;
  return text
    .replace(/[\r\n]/g, ' ')
    .replace(/\\(?=[, ]|$)/g, '/')
    .replace(/[, ]/g, '\\$&');
}

function fieldValue(value: Scalar): string | undefined {
  switch (typeof value) {
    case 'number':
      // String(3) is "3" (a float in line protocol); exponents ("1e+21") are accepted.
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return `"${value.replace(/[\\"]/g, '\\$&')}"`;
    default:
      return undefined;
  }
}

/**
 * One point as a line (without the newline), or undefined when it cannot be written: no
 * measurement, a measurement starting with `#` (a comment line), no writable field, or a
 * timestamp that is not a finite number.
 */
export function encodePoint(point: SeriesPoint): string | undefined {
  const { measurement, tags, fields, ts } = point;
  if (typeof measurement !== 'string' || measurement === '' || measurement.startsWith('#')) return undefined;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;

  let fieldPart = '';
  for (const key in fields) {
    if (key === '') continue;
    const value = fieldValue(fields[key]!);
    if (value === undefined) continue;
    fieldPart += (fieldPart ? ',' : '') + escapeKey(key) + '=' + value;
  }
  if (!fieldPart) return undefined;

  return seriesKey(measurement, tags) + ' ' + fieldPart + ' ' + Math.round(ts);
}

/**
 * `measurement,tag=value,…` — the same for every point of a device, whose tags object the
 * pipeline reuses: remembered per tags object (a weak map, so dropped tags are collected).
 */
const seriesKeys = new WeakMap<object, { measurement: string; key: string }>();

function seriesKey(measurement: string, tags: SeriesPoint['tags']): string {
  const known = seriesKeys.get(tags);
  if (known?.measurement === measurement) return known.key;
  let key = escapeMeasurement(measurement);
  // Sorted tags are what InfluxDB stores; sending them sorted saves it the work.
  const tagKeys = Object.keys(tags).sort();
  for (const name of tagKeys) {
    const value = tags[name];
    if (name === '' || typeof value !== 'string' || value === '') continue;
    key += ',' + escapeKey(name) + '=' + escapeKey(value);
  }
  if (Object.isFrozen(tags)) seriesKeys.set(tags, { measurement, key });
  return key;
}
