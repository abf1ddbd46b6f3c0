import type { Clock } from '../clock.ts';
import { bucketWidthMs, downsample } from './downsample.ts';
import { quoteIdent, type InfluxHttp } from './influx-http.ts';
import type { SeriesQuery, SeriesSample } from './series-store.ts';

/**
 * SeriesStore.query on InfluxQL. The device goes in as a bound parameter ($device), measurement and
 * field as quoted identifiers, the time range as integer millisecond literals.
 *
 * Downsampling (downsample.ts has the rule): a numeric field is averaged by InfluxDB itself,
 * `mean() … GROUP BY time(<width>ms, <offset>ms) fill(none)`, the offset making buckets start at
 * `from` rather than at the epoch. mean() refuses booleans and strings, so those fields (and a
 * field with mixed types across shards) are read raw and bucketed here; they are state fields
 * that change rarely, so the raw read stays small.
 */
export class InfluxReader {
  readonly #http: InfluxHttp;
  readonly #clock: Clock;
  /** SHOW FIELD KEYS per measurement, refreshed after a minute or when a field is missing. */
  readonly #fieldTypes = new Map<string, { types: Map<string, Set<string>>; at: number }>();

  constructor(http: InfluxHttp, clock: Clock) {
    this.#http = http;
    this.#clock = clock;
  }

  async query(query: SeriesQuery): Promise<SeriesSample[]> {
    const from = Math.ceil(query.from);
    const to = Math.ceil(query.to);
    if (!(from < to)) return [];
    const measurement = quoteIdent(query.measurement);
    const field = quoteIdent(query.field);
    const where = `WHERE "device" = $device AND time >= ${from}ms AND time < ${to}ms`;
    const params = { device: query.device };
    if (query.points !== undefined && (await this.#isNumeric(query.measurement, query.field))) {
      const width = bucketWidthMs(from, to, query.points);
      const offset = ((from % width) + width) % width;
      const rows = await this.#http.aggregate(
        `SELECT mean(${field}) FROM ${measurement} ${where} GROUP BY time(${width}ms, ${offset}ms) fill(none)`,
        params,
      );
      return rows.flatMap(([ts, value]) => (typeof value === 'number' ? [{ ts, value }] : []));
    }
    const rows = await this.#http.select(`SELECT ${field} FROM ${measurement} ${where}`, params);
    const samples = rows.flatMap(([ts, value]) => (isScalar(value) ? [{ ts, value }] : []));
    return query.points === undefined ? samples : downsample(samples, { ...query, from, to });
  }

  async #isNumeric(measurement: string, field: string): Promise<boolean> {
    let cached = this.#fieldTypes.get(measurement);
    if (!cached || !cached.types.has(field) || this.#clock.now() - cached.at > 60_000) {
      cached = { types: await this.#http.fieldTypes(measurement), at: this.#clock.now() };
      this.#fieldTypes.set(measurement, cached);
    }
    const types = cached.types.get(field);
    return !!types && [...types].every((t) => t === 'float' || t === 'integer');
  }
}

function isScalar(value: unknown): value is number | boolean | string {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
}
