import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Statement } from 'better-sqlite3';
import { systemClock, type Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import { LogThrottle, type Logger } from '../log.ts';
import type { Scalar } from '../types.ts';
import { backoffDelayMs } from '../backoff.ts';
import type { StoreConfig } from './config.ts';
import { bucketWidthMs } from './downsample.ts';
import {
  runNow,
  type ComponentHealth,
  type DeferWork,
  type SeriesPoint,
  type SeriesQuery,
  type SeriesSample,
  type SeriesStore,
  type SeriesStoreStats,
} from './series-store.ts';
import { openDatabase, type SqliteDatabase } from './sqlite.ts';

export interface EmbeddedSeriesStoreOptions {
  config: StoreConfig;
  /** The database is `<dataDir>/series.db`. */
  dataDir: string;
  log: Logger;
  clock?: Clock;
  /** Points per transaction when everything queued is written at once (flush, query, stop; default 5000). */
  batchSize?: number;
  /** Longest a point waits in memory before it is written (default 250 ms). */
  flushMs?: number;
  /** Points per transaction when written on the store's own time, one per turn of the event loop (default 32). */
  chunkPoints?: number;
  /** Runs each of those transactions; default: at once. */
  defer?: DeferWork;
}

/**
 * One row per (series, timestamp); a series is (measurement, device tag, field), the other tags
 * are kept with it as first seen. WITHOUT ROWID on the primary key (series_id, ts) makes a range
 * query one index seek and a sequential read. `value` has no declared type, so SQLite keeps what
 * it is given: numbers as REAL (always floats, like InfluxDB), booleans as INTEGER 0/1, strings
 * as TEXT. A point written twice at the same timestamp replaces the first, as in InfluxDB.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  device TEXT NOT NULL,
  field TEXT NOT NULL,
  tags TEXT NOT NULL,
  UNIQUE (measurement, device, field)
);
CREATE TABLE IF NOT EXISTS samples (
  series_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  value NOT NULL,
  PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
PRAGMA user_version = 1;
`;

/** `#flushTimer` while a chunk waits in `defer`: no other write is scheduled meanwhile. */
const DEFERRED = Symbol('deferred');

/** Points held while SQLite refuses writes (disk full); beyond this the oldest are dropped. */
const MEMORY_LIMIT_POINTS = 1_000_000;

type Bound = number | bigint | string;
type Statements = Record<
  'insert' | 'addSeries' | 'seriesId' | 'raw' | 'mean' | 'lastText' | 'prune',
  Statement
>;

/**
 * The embedded series store: SQLite under the data directory, with retention.
 *
 * Points wait in memory up to `flushMs` and are then written `chunkPoints` to a transaction, one
 * transaction per turn of the event loop, so whatever else arrives (an alarm) waits for one small
 * transaction, not for all of them: at 5,000 messages/s a 250 ms batch is about 7,500 rows and
 * took 15-30 ms in one piece (the alert bench's p95 was 25 ms behind it). A point's rows mostly go
 * to pages of their own (one series per field, keyed by series and time), so small transactions
 * write about as much WAL per point as big ones. `flush()`, a query (which reads its own writes)
 * and `stop()` still write everything at once.
 */
export class EmbeddedSeriesStore implements SeriesStore {
  readonly name = 'embedded' as const;
  onBatchWritten?: (points: number, ms: number) => void;

  readonly #config: StoreConfig;
  readonly #path: string;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #flushMs: number;
  readonly #chunkPoints: number;
  readonly #defer: DeferWork;
  readonly #writeChunkNow = (): void => this.#writeChunk();
  readonly #throttle = new LogThrottle(60_000);
  #db: SqliteDatabase | undefined;
  #sql: Statements | undefined;
  /** Made once: better-sqlite3 builds its transaction wrappers on every `transaction()` call. */
  #insertAll: ((points: readonly SeriesPoint[]) => void) | undefined;
  #seriesIds = new Map<string, number>();
  #phase: 'new' | 'running' | 'stopped' = 'new';
  #queue: SeriesPoint[] = [];
  #flushTimer: NodeJS.Timeout | NodeJS.Immediate | typeof DEFERRED | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #failing: string | undefined;
  #attempt = 0;
  #pruning = false;
  #stats = { accepted: 0, written: 0, rejected: 0 };

  constructor(options: EmbeddedSeriesStoreOptions) {
    this.#config = options.config;
    this.#path = join(options.dataDir, 'series.db');
    this.#log = options.log.child({ module: 'series-store', store: 'embedded' });
    this.#clock = options.clock ?? systemClock;
    this.#batchSize = options.batchSize ?? 5000;
    this.#flushMs = options.flushMs ?? 250;
    this.#chunkPoints = options.chunkPoints ?? 32;
    this.#defer = options.defer ?? runNow;
  }

  async start(): Promise<void> {
    if (this.#phase !== 'new') return;
    const db = openDatabase(this.#path);
    db.exec(SCHEMA);
    this.#db = db;
    this.#sql = {
      insert: db.prepare(
        'INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value',
      ),
      addSeries: db.prepare(
        'INSERT INTO series (measurement, device, field, tags) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      seriesId: db
        .prepare('SELECT id FROM series WHERE measurement = ? AND device = ? AND field = ?')
        .pluck(),
      raw: db.prepare(
        `SELECT ts, value, typeof(value) = 'integer' AS bool FROM samples
         WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts`,
      ),
      // Integer division groups a row into its bucket: bucket start = from + b * width.
      mean: db.prepare(
        `SELECT (ts - @from) / @width AS b, avg(value) AS v FROM samples
         WHERE series_id = @id AND ts >= @from AND ts < @to AND typeof(value) <> 'text' GROUP BY b ORDER BY b`,
      ),
      // SQLite's bare-column rule: with max(ts), `value` comes from the bucket's last row.
      lastText: db.prepare(
        `SELECT (ts - @from) / @width AS b, value AS v, max(ts) AS last FROM samples
         WHERE series_id = @id AND ts >= @from AND ts < @to AND typeof(value) = 'text' GROUP BY b`,
      ),
      prune: db.prepare('DELETE FROM samples WHERE series_id = ? AND ts < ?'),
    };
    const sqlNow = this.#sql;
    this.#insertAll = db.transaction((points: readonly SeriesPoint[]) => {
      for (const point of points) this.#insert(sqlNow, point);
    });
    this.#phase = 'running';
    if (this.#config.retention > 0) {
      const every = Math.min(3_600_000, Math.max(60_000, Math.floor(this.#config.retention / 10)));
      this.#retentionTimer = setInterval(() => void this.enforceRetention(), every);
      this.#retentionTimer.unref();
      // The first pass a little after start, not in the middle of it.
      setTimeout(() => void this.enforceRetention(), 1000).unref();
    }
    if (this.#queue.length) this.#schedule();
  }

  write(points: readonly SeriesPoint[]): void {
    try {
      for (const point of points) {
        this.#stats.accepted++;
        if (this.#phase === 'stopped' || !isWritable(point)) {
          this.#refuse(1, this.#phase === 'stopped' ? 'store stopped' : 'point cannot be written');
          continue;
        }
        this.#queue.push(point);
      }
      while (this.#queue.length > MEMORY_LIMIT_POINTS) {
        this.#queue.shift();
        this.#refuse(1, 'memory limit reached while SQLite refuses writes');
      }
      if (this.#phase === 'running') this.#schedule();
    } catch (err) {
      this.#log.error({ err }, 'series write failed'); // never the caller's problem
    }
  }

  async flush(): Promise<void> {
    this.#writeQueued();
  }

  async query(query: SeriesQuery): Promise<SeriesSample[]> {
    const sql = this.#sql;
    if (!sql || this.#phase !== 'running') return [];
    this.#writeQueued(); // read your own writes
    const from = Math.ceil(query.from);
    const to = Math.ceil(query.to);
    if (!(from < to)) return [];
    const id = sql.seriesId.get(query.measurement, query.device, query.field) as number | undefined;
    if (id === undefined) return [];
    if (query.points === undefined) {
      const rows = sql.raw.all(id, from, to) as { ts: number; value: Scalar; bool: number }[];
      return rows.map((r) => ({ ts: r.ts, value: r.bool ? r.value === 1 : r.value }));
    }
    const width = bucketWidthMs(from, to, query.points);
    const params = { id, from: BigInt(from), to: BigInt(to), width: BigInt(width) };
    const buckets = new Map<number, Scalar>();
    for (const r of sql.lastText.all(params) as { b: number; v: string }[]) buckets.set(r.b, r.v);
    // A bucket with any number (or boolean) takes their mean; only all-string buckets keep a string.
    for (const r of sql.mean.all(params) as { b: number; v: number }[]) buckets.set(r.b, r.v);
    return [...buckets].sort(([a], [b]) => a - b).map(([b, value]) => ({ ts: from + b * width, value }));
  }

  /** Deletes points older than the retention, series by series in small transactions. */
  async enforceRetention(): Promise<number> {
    const db = this.#db;
    const sql = this.#sql;
    if (!db || !sql || this.#config.retention <= 0 || this.#pruning) return 0;
    this.#pruning = true;
    try {
      return await this.#prune(db, sql);
    } finally {
      this.#pruning = false;
    }
  }

  async #prune(db: SqliteDatabase, sql: Statements): Promise<number> {
    const cutoff = this.#clock.now() - this.#config.retention;
    const ids = db.prepare('SELECT id FROM series').pluck().all() as number[];
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 200) {
      if (this.#phase !== 'running') break;
      db.transaction(() => {
        for (const id of ids.slice(i, i + 200)) deleted += sql.prune.run(id, cutoff).changes;
      })();
      // Yield between chunks: a long purge must not hold up readings.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0) this.#log.debug({ deleted, cutoff }, 'retention: old points deleted');
    return deleted;
  }

  stats(): SeriesStoreStats {
    const pending = this.#queue.length;
    return { ...this.#stats, spooled: 0, replayed: 0, pending, spoolDepth: 0 };
  }

  health(): ComponentHealth {
    if (this.#phase === 'new') return { state: 'down', detail: 'not started' };
    if (this.#phase === 'stopped') return { state: 'down', detail: 'stopped' };
    if (this.#failing) {
      return {
        state: 'down',
        detail: `SQLite refuses writes (${this.#failing}): ${this.#queue.length} points held`,
      };
    }
    return { state: 'up', detail: `embedded store ${this.#path}` };
  }

  async stop(): Promise<void> {
    if (this.#phase !== 'running') {
      this.#phase = 'stopped';
      return;
    }
    this.#writeQueued();
    this.#phase = 'stopped';
    this.#clearFlushTimer();
    clearInterval(this.#retentionTimer);
    if (this.#queue.length) this.#log.error({ points: this.#queue.length }, 'points not stored at stop');
    this.#db?.close();
    this.#db = undefined;
    this.#sql = undefined;
  }

  #schedule(): void {
    if (this.#flushTimer || this.#failing) return;
    const run = () => this.#deferChunk();
    // A full batch starts on the next turn (not inside the caller's write), a partial one later.
    this.#flushTimer =
      this.#queue.length >= this.#batchSize ? setImmediate(run) : setTimeout(run, this.#flushMs);
  }

  /** The next chunk, through `defer` (behind an outgoing alert); the timer stays set meanwhile. */
  #deferChunk(): void {
    this.#flushTimer = DEFERRED;
    this.#defer(this.#writeChunkNow);
  }

  /** One chunk now, the next on the next turn of the event loop, until the queue is empty. */
  #writeChunk(): void {
    if (this.#flushTimer !== DEFERRED) return; // written meanwhile (flush, query, stop)
    this.#flushTimer = undefined;
    // Behind (more than a batch waiting): whole batches, throughput before latency.
    this.#writeQueued(this.#queue.length > this.#batchSize ? this.#batchSize : this.#chunkPoints);
    if (this.#queue.length && !this.#flushTimer && this.#phase === 'running') {
      this.#flushTimer = setImmediate(() => this.#deferChunk());
    }
  }

  #clearFlushTimer(): void {
    const timer = this.#flushTimer;
    this.#flushTimer = undefined;
    if (timer === undefined || timer === DEFERRED) return; // a deferred chunk finds it cleared and stands down
    clearTimeout(timer as NodeJS.Timeout);
    clearImmediate(timer as NodeJS.Immediate);
  }

  /** Writes up to `limit` queued points (all of them by default), oldest first. */
  #writeQueued(limit = Infinity): void {
    const db = this.#db;
    const sql = this.#sql;
    if (!db || !sql) return;
    this.#clearFlushTimer();
    while (this.#queue.length > 0 && limit > 0) {
      const batch = this.#queue.slice(0, Math.min(this.#batchSize, limit));
      limit -= batch.length;
      const started = performance.now();
      try {
        this.#insertAll!(batch);
      } catch (err) {
        this.#seriesIds.clear(); // ids created in the rolled-back transaction are gone
        this.#fail(err);
        return;
      }
      this.#queue.splice(0, batch.length);
      this.#stats.written += batch.length;
      if (this.#failing) this.#log.info('SQLite takes writes again');
      this.#failing = undefined;
      this.#attempt = 0;
      try {
        this.onBatchWritten?.(batch.length, performance.now() - started);
      } catch (err) {
        this.#log.warn({ err }, 'onBatchWritten callback threw');
      }
    }
  }

  #insert(sql: Statements, point: SeriesPoint): void {
    const device = point.tags.device ?? '';
    const ts = Math.round(point.ts);
    for (const field in point.fields) {
      const value = bindValue(point.fields[field]!);
      if (value === undefined || field === '') continue;
      const key = `${point.measurement}\u0000${device}\u0000${field}`;
      let id = this.#seriesIds.get(key);
      if (id === undefined) {
        sql.addSeries.run(point.measurement, device, field, JSON.stringify(point.tags));
        id = sql.seriesId.get(point.measurement, device, field) as number;
        this.#seriesIds.set(key, id);
      }
      sql.insert.run(id, ts, value);
    }
  }

  #fail(err: unknown): void {
    const message = errorMessage(err);
    if (!this.#failing) this.#log.error({ err: message }, 'SQLite refuses writes: holding points in memory');
    this.#failing = message;
    const delay = backoffDelayMs(++this.#attempt, { minMs: 500, maxMs: 30_000 });
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#writeQueued();
    }, delay);
  }

  #refuse(count: number, reason: string): void {
    this.#stats.rejected += count;
    const suppressed = this.#throttle.take(reason, this.#clock.now());
    if (suppressed !== undefined) {
      this.#log.warn({ code: 'CGW_STORE_REJECTED', points: count, suppressed }, `points refused: ${reason}`);
    }
  }
}

/** Same acceptance as the line protocol: a measurement, a finite timestamp, one storable field. */
function isWritable(point: SeriesPoint): boolean {
  if (typeof point?.measurement !== 'string' || point.measurement === '') return false;
  if (typeof point.ts !== 'number' || !Number.isFinite(point.ts)) return false;
  if (typeof point.tags !== 'object' || point.tags === null) return false;
  for (const field in point.fields)
    if (field !== '' && bindValue(point.fields[field]!) !== undefined) return true;
  return false;
}

/** better-sqlite3 binds JS numbers as REAL and bigints as INTEGER: booleans become 0n/1n. */
function bindValue(value: Scalar): Bound | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'string') return value;
  return undefined;
}
