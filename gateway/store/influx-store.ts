import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../clock.ts';
import { formatDuration } from '../duration.ts';
import { errorMessage, isGatewayError } from '../errors.ts';
import { LogThrottle, type Logger } from '../log.ts';
import { backoffDelayMs, type BackoffOptions } from '../backoff.ts';
import { SPOOL_MAX_MB, type InfluxConfig } from './config.ts';
import { InfluxHttp } from './influx-http.ts';
import { InfluxReader } from './influx-query.ts';
import { encodePoint } from './line-protocol.ts';
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
import { Spool, type SpoolBatch, type SpoolOptions } from './spool.ts';

export interface InfluxSeriesStoreOptions {
  config: InfluxConfig;
  /** The spool lives in `<dataDir>/spool/`. */
  dataDir: string;
  log: Logger;
  clock?: Clock;
  /** Backoff between attempts while InfluxDB is unreachable (default 250 ms doubling to 30 s). */
  retry?: Partial<BackoffOptions>;
  /** One HTTP request's limit (default 10 s). */
  requestTimeoutMs?: number;
  /** How long stop() keeps delivering before it leaves the rest in the spool (default 5 s). */
  stopTimeoutMs?: number;
  spool?: Omit<SpoolOptions, 'dir' | 'log'>;
  /** Runs the end-of-turn spool append (and the send it may start); default: at once. */
  defer?: DeferWork;
}

/** A batch on its way to InfluxDB: from the spool, or memory-only when the disk refused it. */
type Outgoing =
  | { kind: 'spool'; batch: SpoolBatch; payload: Buffer; count: number }
  | { kind: 'memory'; payload: Buffer; count: number };

/** Memory-only points kept when the disk refuses the spool; beyond this the oldest are dropped. */
const MEMORY_LIMIT_POINTS = 1_000_000;

/**
 * Series in InfluxDB 1.x, write-ahead spooled.
 *
 * write() encodes its points to line protocol at once and, at the end of the event-loop turn,
 * appends them as one record to the disk spool (spool.ts): from then on they survive a kill -9.
 * In a turn that sends an alert, the append (and the InfluxDB write it may start) comes right
 * after the alert's write instead (`defer`).
 * One sender reads the spool oldest-first in batches of up to `batchSize` points — when that many
 * are waiting, when the oldest has waited `flushMs`, or at once for a backlog — POSTs them and
 * acknowledges the batch when InfluxDB confirms. While InfluxDB is unreachable the spool simply
 * grows and the sender retries with capped, jittered backoff; when it is back the backlog drains in
 * order, new points behind it. A 400 (type conflict, bad point) is final: the refused points are
 * counted as rejected, logged once a minute, and the batch is acknowledged. Re-sending a batch
 * that was stored but not yet acknowledged is harmless: InfluxDB overwrites a point with the same
 * measurement, tags and timestamp.
 */
export class InfluxSeriesStore implements SeriesStore {
  readonly name = 'influxdb' as const;
  onBatchWritten?: (points: number, ms: number) => void;

  readonly #config: InfluxConfig;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #retry: BackoffOptions;
  readonly #stopTimeoutMs: number;
  readonly #spoolOptions: SpoolOptions;
  readonly #http: InfluxHttp;
  readonly #reader: InfluxReader;
  readonly #rejectLog = new LogThrottle(60_000);
  readonly #abort = new AbortController();
  #spool: Spool | undefined;
  #phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  #link: 'unknown' | 'up' | 'down' = 'unknown';
  #downSince = 0;
  #lastError = '';
  #database: Promise<void> | undefined;
  // Lines encoded by write() and not yet appended to the spool (at most one event-loop turn's).
  #tail: string[] = [];
  #tailCount = 0;
  #tailTimer: NodeJS.Immediate | undefined;
  /** The tail's append is waiting in `#defer` (behind an outgoing alert). */
  #tailDeferred = false;
  readonly #defer: DeferWork;
  readonly #appendDeferred = (): void => {
    this.#tailDeferred = false;
    this.#appendTail();
  };
  #memory: { payload: Buffer; count: number }[] = [];
  #memoryCount = 0;
  #stats = { accepted: 0, written: 0, spooled: 0, replayed: 0, rejected: 0, recovered: 0 };
  /** The oldest points in the spool that waited for InfluxDB (a prefix of the queue). */
  #backlog = 0;
  /** Points put in the queue / taken out of it (stored or refused): what flush() waits on. */
  #enqueued = 0;
  #settled = 0;
  #firstWaitingAt: number | undefined;
  #maxBatchBytes = 16 * 1024 * 1024;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #kickAgain = false;
  #waiters: { target: number; resolve: () => void }[] = [];
  #stopped: Promise<void> | undefined;
  /** Why the last spool append was refused (full, disk full, unwritable); cleared by the next that works. */
  #spoolRefusal: string | undefined;

  constructor(options: InfluxSeriesStoreOptions) {
    this.#config = options.config;
    this.#log = options.log.child({ module: 'series-store', store: 'influxdb' });
    this.#clock = options.clock ?? systemClock;
    this.#retry = { minMs: options.retry?.minMs ?? 250, maxMs: options.retry?.maxMs ?? 30_000 };
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 5000;
    this.#spoolOptions = {
      maxBytes: (options.config.spoolMaxMB ?? SPOOL_MAX_MB) * 1024 * 1024,
      ...options.spool,
      dir: join(options.dataDir, 'spool'),
      log: this.#log,
    };
    this.#http = new InfluxHttp({
      url: options.config.url,
      database: options.config.database,
      username: options.config.username,
      password: options.config.password,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    this.#reader = new InfluxReader(this.#http, this.#clock);
    this.#defer = options.defer ?? runNow;
  }

  async start(): Promise<void> {
    if (this.#phase !== 'new') return;
    this.#phase = 'running';
    this.#openSpool();
    this.#appendTail();
    // Wait a little for the database so a query right after start() finds it; never fail on it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#ensureDatabase().then(
        () => this.#markUp(),
        (err: unknown) => this.#markDown(err),
      ),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 3000))),
    ]);
    clearTimeout(timer);
    this.#kick();
  }

  write(points: readonly SeriesPoint[]): void {
    try {
      for (const point of points) {
        this.#stats.accepted++;
        const line = this.#phase === 'stopped' ? undefined : safeEncode(point);
        if (line === undefined) {
          this.#refuse(1, this.#phase === 'stopped' ? 'store stopped' : 'point cannot be written');
          continue;
        }
        this.#tail.push(line);
        if (++this.#tailCount >= this.#config.batchSize) this.#appendTail();
      }
      if (this.#tailCount > 0 && !this.#tailTimer && !this.#tailDeferred && this.#phase !== 'new') {
        this.#tailTimer = setImmediate(() => {
          this.#tailTimer = undefined;
          this.#tailDeferred = true;
          this.#defer(this.#appendDeferred);
        });
      }
    } catch (err) {
      this.#log.error({ err }, 'series write failed'); // never the caller's problem
    }
  }

  flush(): Promise<void> {
    if (this.#phase === 'new' || this.#phase === 'stopped') return Promise.resolve();
    this.#appendTail();
    if (this.#settled >= this.#enqueued) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push({ target: this.#enqueued, resolve }));
    // Flush means "get it out if you can": try now rather than at the end of the backoff.
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#kick();
    return done;
  }

  query(query: SeriesQuery): Promise<SeriesSample[]> {
    return this.#reader.query(query);
  }

  /** spoolDepth is every unacknowledged point on disk: with a write-ahead spool, the batch in flight too. */
  stats(): SeriesStoreStats {
    const spoolDepth = this.#spool?.depth ?? 0;
    return { ...this.#stats, pending: this.#tailCount + spoolDepth + this.#memoryCount, spoolDepth };
  }

  health(): ComponentHealth {
    if (this.#phase === 'new') return { state: 'down', detail: 'not started' };
    if (this.#phase === 'stopped') return { state: 'down', detail: 'stopped' };
    const depth = this.#spool?.depth ?? 0;
    const diskOk = this.#spool !== undefined && this.#memoryCount === 0;
    if (this.#link === 'down') {
      const since = formatDuration(this.#clock.now() - this.#downSince);
      return diskOk
        ? {
            state: 'degraded',
            detail: `InfluxDB unreachable for ${since} (${this.#lastError}): spooling, ${depth} points on disk`,
          }
        : {
            state: 'down',
            detail: `InfluxDB unreachable and ${this.#spoolRefusal ?? 'spool unwritable'}: ${this.#memoryCount} points in memory only`,
          };
    }
    if (!diskOk)
      return {
        state: 'degraded',
        detail: `${this.#spoolRefusal ?? 'spool not writable'}: points are sent without a disk copy`,
      };
    if (this.#link === 'unknown') return { state: 'degraded', detail: 'connecting to InfluxDB' };
    const replay = this.#backlog > 0 ? `, replaying ${this.#backlog} spooled points` : '';
    return {
      state: 'up',
      detail: `writing to ${this.#config.url} database ${this.#config.database}${replay}`,
    };
  }

  stop(): Promise<void> {
    return (this.#stopped ??= this.#stop());
  }

  async #stop(): Promise<void> {
    if (this.#phase === 'new') {
      // Points written before a start that never came still go to the spool for the next run.
      this.#phase = 'stopping';
      this.#openSpool();
      this.#appendTail();
    } else {
      this.#phase = 'stopping';
      this.#appendTail();
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#stopTimeoutMs)));
      await Promise.race([this.flush(), bound]);
      clearTimeout(timer);
    }
    this.#phase = 'stopped';
    this.#abort.abort(new Error('series store stopped'));
    await this.#draining; // an aborted request leaves its batch unacknowledged in the spool
    clearImmediate(this.#tailTimer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#flushTimer);
    this.#appendTail(); // points written while stopping: on disk for the next run
    for (const batch of this.#memory.splice(0)) {
      try {
        this.#spool?.append(batch.payload, batch.count); // the disk may take them now
      } catch {
        this.#log.error({ points: batch.count }, 'points held in memory are lost: the spool is not writable');
      }
    }
    this.#spool?.close();
    await this.#spool?.settled(); // its ack file final before anyone opens the directory again
    this.#http.close();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    this.#log.info({ stats: this.stats() }, 'series store stopped');
  }

  #openSpool(): void {
    try {
      this.#spool = Spool.open(this.#spoolOptions);
    } catch (err) {
      this.#log.error({ err }, 'cannot open the spool: points are held in memory only');
      return;
    }
    const { points, segments } = this.#spool.recovery;
    if (points > 0) {
      this.#stats.recovered = points;
      this.#backlog = points;
      this.#enqueued += points;
      this.#log.info({ points, segments }, 'spool holds points from a previous run: replaying them');
    }
  }

  #appendTail(): void {
    if (this.#tailCount === 0 || this.#phase === 'new') return;
    const payload = Buffer.from(this.#tail.join('\n') + '\n');
    const count = this.#tailCount;
    this.#tail = [];
    this.#tailCount = 0;
    let onDisk = false;
    if (this.#spool) {
      try {
        this.#spool.append(payload, count);
        onDisk = true;
        this.#spoolRefusal = undefined;
      } catch (err) {
        this.#spoolRefusal = errorMessage(err);
        if (this.#rejectLog.take('spool-append', this.#clock.now()) !== undefined) {
          this.#log.error({ err }, 'spool append failed: holding points in memory');
        }
      }
    }
    if (!onDisk) this.#holdInMemory(payload, count);
    this.#enqueued += count;
    if (onDisk && this.#link === 'down') {
      this.#stats.spooled += count;
      this.#backlog += count;
    }
    this.#firstWaitingAt ??= this.#clock.now();
    this.#kick();
  }

  #holdInMemory(payload: Buffer, count: number): void {
    this.#memory.push({ payload, count });
    this.#memoryCount += count;
    while (this.#memoryCount > MEMORY_LIMIT_POINTS && this.#memory.length > 1) {
      const dropped = this.#memory.shift()!;
      this.#memoryCount -= dropped.count;
      this.#settled += dropped.count;
      this.#refuse(dropped.count, 'memory limit reached while neither InfluxDB nor the disk take points');
    }
  }

  #refuse(count: number, reason: string, detail?: string): void {
    this.#stats.rejected += count;
    const suppressed = this.#rejectLog.take(reason, this.#clock.now());
    if (suppressed !== undefined) {
      this.#log.warn(
        { code: 'CGW_STORE_REJECTED', points: count, detail, suppressed },
        `points refused: ${reason}`,
      );
    }
  }

  #waiting(): number {
    return (this.#spool?.depth ?? 0) + this.#memoryCount;
  }

  #ready(): boolean {
    const waiting = this.#waiting();
    if (waiting === 0 || this.#retryTimer) return false;
    if (waiting >= this.#config.batchSize || this.#backlog > 0) return true;
    if (this.#waiters.length > 0 || this.#phase === 'stopping') return true;
    return this.#clock.now() - (this.#firstWaitingAt ?? 0) >= this.#config.flushMs;
  }

  #kick(): void {
    if (this.#phase !== 'running' && this.#phase !== 'stopping') return;
    if (this.#draining) {
      this.#kickAgain = true; // new points arrived while a batch was out: look again after it
      return;
    }
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#kickAgain) {
        this.#kickAgain = false;
        this.#kick();
      } else this.#armFlushTimer();
    });
  }

  #armFlushTimer(): void {
    if (this.#flushTimer || this.#retryTimer || this.#waiting() === 0 || this.#phase !== 'running') return;
    const due = (this.#firstWaitingAt ?? this.#clock.now()) + this.#config.flushMs - this.#clock.now();
    this.#flushTimer = setTimeout(
      () => {
        this.#flushTimer = undefined;
        this.#kick();
      },
      Math.max(5, due),
    );
  }

  async #drain(): Promise<void> {
    while ((this.#phase === 'running' || this.#phase === 'stopping') && this.#ready()) {
      const next = this.#next();
      if (!next) return;
      this.#firstWaitingAt = undefined;
      if (!(await this.#send(next))) return;
      if (this.#waiting() > 0) this.#firstWaitingAt ??= this.#clock.now();
    }
  }

  #next(): Outgoing | undefined {
    const held = this.#memory[0];
    if (held) return { kind: 'memory', ...held };
    const batch = this.#spool?.readBatch(this.#config.batchSize, this.#maxBatchBytes);
    return batch && { kind: 'spool', batch, payload: batch.payload, count: batch.count };
  }

  /** One attempt; true when the batch is settled (stored or refused), false to stop draining. */
  async #send(out: Outgoing): Promise<boolean> {
    const started = performance.now();
    try {
      await this.#ensureDatabase();
      const result = await this.#http.write(out.payload, this.#abort.signal);
      if (result.status === 'too-large' && out.kind === 'spool' && out.batch.records > 1) {
        // Halve until it fits: a batch always carries at least one record, so this ends.
        this.#maxBatchBytes = Math.max(1, Math.floor(out.payload.length / 2));
        this.#log.warn(
          { maxBatchBytes: this.#maxBatchBytes },
          'InfluxDB: request too large, sending smaller batches',
        );
        return true;
      }
      let refused = 0;
      if (result.status !== 'stored') {
        refused = result.status === 'rejected' ? Math.min(out.count, result.dropped ?? out.count) : out.count;
        this.#refuse(refused, 'InfluxDB refused them', result.status === 'rejected' ? result.message : '413');
      }
      this.#markUp();
      this.#settle(out, out.count - refused, performance.now() - started);
      return true;
    } catch (err) {
      if (this.#abort.signal.aborted) return false;
      if (isGatewayError(err) && err.context.databaseMissing) this.#database = undefined;
      this.#markDown(err);
      return false;
    }
  }

  #settle(out: Outgoing, stored: number, ms: number): void {
    if (out.kind === 'spool') {
      this.#spool?.ack(out.batch);
      const fromBacklog = Math.min(out.count, this.#backlog);
      this.#backlog -= fromBacklog;
      this.#stats.replayed += Math.min(fromBacklog, stored);
    } else {
      this.#memory.shift();
      this.#memoryCount -= out.count;
    }
    this.#stats.written += stored;
    this.#settled += out.count;
    if (stored > 0) {
      try {
        this.onBatchWritten?.(stored, ms);
      } catch (err) {
        this.#log.warn({ err }, 'onBatchWritten callback threw');
      }
    }
    this.#resolveWaiters(false);
  }

  #ensureDatabase(): Promise<void> {
    this.#database ??= this.#http.createDatabase().catch((err: unknown) => {
      // A user without admin rights cannot CREATE DATABASE: assume it exists; a write says if not.
      if (/authoriz|privilege/i.test(errorMessage(err))) {
        this.#log.warn(
          { err: errorMessage(err) },
          'cannot create the database (no admin rights): assuming it exists',
        );
        return;
      }
      this.#database = undefined;
      throw err;
    });
    return this.#database;
  }

  #markUp(): void {
    if (this.#link === 'down') {
      const after = formatDuration(this.#clock.now() - this.#downSince);
      this.#log.info({ backlog: this.#backlog }, `InfluxDB back after ${after}: replaying the spool`);
    }
    this.#link = 'up';
    this.#attempt = 0;
  }

  #markDown(err: unknown): void {
    this.#lastError = errorMessage(err);
    if (this.#link !== 'down') {
      this.#downSince = this.#clock.now();
      this.#log.warn({ err: this.#lastError }, 'InfluxDB unreachable: spooling to disk');
    }
    this.#link = 'down';
    // What waits on disk now waits for InfluxDB: it counts as spooled.
    const depth = this.#spool?.depth ?? 0;
    if (depth > this.#backlog) {
      this.#stats.spooled += depth - this.#backlog;
      this.#backlog = depth;
    }
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#phase === 'running' || this.#phase === 'stopping') {
      const delay = backoffDelayMs(++this.#attempt, this.#retry);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#kick();
      }, delay);
    }
    // flush() promises "stored, or spooled when InfluxDB is down": spooled it is.
    this.#resolveWaiters(true);
  }

  #resolveWaiters(all: boolean): void {
    if (this.#waiters.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!all && (this.#settled < waiter.target || this.#memoryCount > 0)) return true;
      waiter.resolve();
      return false;
    });
  }
}

function safeEncode(point: SeriesPoint): string | undefined {
  try {
    return encodePoint(point);
  } catch {
    return undefined; // a malformed object from a caller that bypassed the types
  }
}
