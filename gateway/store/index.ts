import type { Clock } from '../clock.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { InfluxConfig, StoreConfig } from './config.ts';
import { InfluxSeriesStore } from './influx-store.ts';
import type { DeferWork, SeriesStore } from './series-store.ts';
import { EmbeddedSeriesStore } from './sqlite-store.ts';

export type * from './series-store.ts';
export type { InfluxConfig, StoreConfig } from './config.ts';
export { influxConfigSchema, storeConfigSchema } from './config.ts';
export { InfluxSeriesStore } from './influx-store.ts';
export { EmbeddedSeriesStore } from './sqlite-store.ts';
export { openDatabase, type SqliteDatabase, type OpenDatabaseOptions } from './sqlite.ts';

export interface CreateSeriesStoreOptions {
  /** Present: series go to InfluxDB (spooled to disk while it is away). Absent: the embedded store. */
  influx?: InfluxConfig;
  store: StoreConfig;
  dataDir: string;
  log: Logger;
  clock?: Clock;
  /** How the store runs its background writes (the gateway's alarms-first lane). */
  defer?: DeferWork;
}

/** The series store the config asks for. */
export function createSeriesStore(options: CreateSeriesStoreOptions): SeriesStore {
  const { influx, store, dataDir, log, clock, defer } = options;
  if (influx) return new InfluxSeriesStore({ config: influx, dataDir, log, clock, defer });
  return new EmbeddedSeriesStore({ config: store, dataDir, log, clock, defer });
}

export interface ParsedInfluxUrl {
  /** Origin plus any path prefix (a reverse proxy's), without the database. */
  url: string;
  database: string;
  username?: string;
  password?: string;
}

/**
 * `CGW_INFLUX_URL` → connection settings: `http://127.0.0.1:8086/community` gives
 * `{url: 'http://127.0.0.1:8086', database: 'community'}`. The last path segment is the database
 * (`community` when the path is empty); segments before it are kept as a path prefix; credentials
 * in the URL (`http://user:pass@host:8086/db`) are taken out of it.
 */
export function parseInfluxUrl(text: string): ParsedInfluxUrl {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch (err) {
    throw new GatewayError('CGW_CONFIG_INVALID', `CGW_INFLUX_URL is not a URL: ${text}`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new GatewayError('CGW_CONFIG_INVALID', `CGW_INFLUX_URL must be http(s): ${parsed.protocol}`);
  }
  const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const database = segments.pop() ?? 'community';
  const prefix = segments.map(encodeURIComponent).join('/');
  const result: ParsedInfluxUrl = { url: parsed.origin + (prefix ? `/${prefix}` : ''), database };
  if (parsed.username) result.username = decodeURIComponent(parsed.username);
  if (parsed.password) result.password = decodeURIComponent(parsed.password);
  return result;
}
