import type { Scalar } from '../types.ts';

/**
 * One point of a time series, as DESIGN.md's InfluxDB schema lays it out: measurement = device kind
 * (or `events`, `alerts`), tags `site`, `device` and the device's labels, fields = values.
 */
export interface SeriesPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, Scalar>;
  /** epoch milliseconds */
  ts: number;
}

export interface SeriesQuery {
  measurement: string;
  device: string;
  field: string;
  /** epoch ms, inclusive */
  from: number;
  /** epoch ms, exclusive */
  to: number;
  /**
   * Downsample to at most this many points: equal time buckets over [from, to), each the mean of
   * its numeric values (booleans count as 0/1; strings take the bucket's last value), stamped with
   * the bucket's start. Absent: every raw point.
   */
  points?: number;
}

export interface SeriesSample {
  ts: number;
  value: Scalar;
}

export interface SeriesStoreStats {
  /** points accepted by write() */
  accepted: number;
  /** points confirmed stored */
  written: number;
  /** points put in the disk spool because the store could not take them */
  spooled: number;
  /** points taken back out of the spool and stored */
  replayed: number;
  /** points the store refused for good (e.g. an InfluxDB field type conflict) */
  rejected: number;
  /** points waiting in memory or on disk */
  pending: number;
  /** points in the disk spool now */
  spoolDepth: number;
  /**
   * points found in the disk spool at start, left there by a previous process (a crash or a stop
   * during an outage); they are stored like new ones. With it: accepted + recovered = written +
   * rejected + pending.
   */
  recovered?: number;
}

export type ComponentState = 'up' | 'degraded' | 'down';

export interface ComponentHealth {
  state: ComponentState;
  detail: string;
}

/**
 * Where series go. `write` never blocks and never throws: points are queued, batched and either
 * stored or spooled. Both implementations (InfluxDB and the embedded SQLite store) pass the same
 * contract suite.
 */
export interface SeriesStore {
  readonly name: 'influxdb' | 'embedded';
  start(): Promise<void>;
  write(points: readonly SeriesPoint[]): void;
  /** Resolves when everything accepted so far is stored (or spooled, when the store is down). */
  flush(): Promise<void>;
  query(query: SeriesQuery): Promise<SeriesSample[]>;
  stats(): SeriesStoreStats;
  health(): ComponentHealth;
  /** Flushes what it can, persists the rest, releases files and timers. Idempotent. */
  stop(): Promise<void>;
  /** Called after each batch is stored, with how long it took: feeds the write-latency metric. */
  onBatchWritten?: (points: number, ms: number) => void;
}

/**
 * How a store runs its own background work (the end-of-turn spool append, a chunk of embedded
 * writes): at once by default. The gateway passes its alarms-first lane (gateway/alarms-first.ts),
 * so that work waits while an alert is on its way out, and runs right after the alert's write.
 */
export type DeferWork = (work: () => void) => void;

export const runNow: DeferWork = (work) => work();
