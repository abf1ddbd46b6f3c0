import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../paths.ts';
import type { SqliteDatabase } from './sqlite.ts';

/** What one checkpoint of one database file did (SQLite's `wal_checkpoint` row), or its error. */
export interface CheckpointResult {
  path: string;
  /** WAL frames in the log, and how many of them are now in the database file. */
  log?: number;
  checkpointed?: number;
  /** The WAL file was cut back to nothing after this pass's checkpoint. */
  truncated?: boolean;
  error?: string;
}

/** What the gateway asks of one pass. */
interface PassRequest {
  paths: string[];
  /** A WAL file larger than this is cut back once it is all copied and the writer is quiet. */
  keepBytes: number;
  /** Passes in a row that found no new frame: the writer counts as quiet. */
  quietPasses: number;
}

// The worker's whole program. It is a string run with `eval` so the same file works from the
// TypeScript sources and from the production bundle (a worker file would need a bundle of its own).
// Each pass opens a connection per file, copies the WAL into the database (PASSIVE: never waits
// for, nor blocks, the gateway's writer) and closes it again, so it never holds a file the gateway
// has closed. A WAL file grown past `keepBytes` by a burst is cut back here (TRUNCATE) once every
// frame is copied and no new one came for `quietPasses` passes; busy, it just tries next time.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.module);
const seen = new Map(); // path -> { log, quiet }
const walBytes = (path) => { try { return statSync(path + '-wal').size; } catch { return 0; } };
parentPort.on('message', ({ paths, keepBytes, quietPasses }) => {
  const results = [];
  for (const path of paths) {
    let db;
    try {
      db = new Database(path, { fileMustExist: true, timeout: 0 });
      const row = db.pragma('wal_checkpoint(PASSIVE)')[0];
      const last = seen.get(path);
      const still = row.busy === 0 && row.log === row.checkpointed && last !== undefined && last.log === row.log;
      const quiet = still ? last.quiet + 1 : 0;
      seen.set(path, { log: row.log, quiet });
      let truncated = false;
      if (quiet >= quietPasses && walBytes(path) > keepBytes) {
        const cut = db.pragma('wal_checkpoint(TRUNCATE)')[0];
        truncated = cut.busy === 0 && walBytes(path) === 0;
        if (truncated) seen.set(path, { log: 0, quiet: 0 });
      }
      results.push({ path, log: row.log, checkpointed: row.checkpointed, truncated });
    } catch (err) {
      results.push({ path, error: String((err && err.message) || err) });
    } finally {
      try { if (db) db.close(); } catch {}
    }
  }
  parentPort.postMessage(results);
});
`;

/** SQLite's default: a commit that finds the WAL over this many pages copies it back itself. */
const AUTO_CHECKPOINT_PAGES = 1000;

export interface BackgroundCheckpointsOptions {
  /** Time between passes. */
  intervalMs?: number;
  /** The better-sqlite3 module the worker loads (tests point it elsewhere to make it fail). */
  module?: string;
  /** A WAL grown past this many bytes by a burst of writes is cut back once copied (default 16 MB). */
  walKeepBytes?: number;
  /** Passes in a row without a new WAL frame before a big WAL is cut back (default 2). */
  quietPasses?: number;
}

/**
 * WAL checkpoints on a worker thread instead of inside the gateway's commits. Left to SQLite, the
 * commit that finds the WAL over 1,000 pages copies it into the database file and fsyncs both,
 * on the event loop: 5-20 ms now and then in the middle of an alert's transaction (the alert bench
 * saw its p99 move from 1.0 to 5.6 ms for the transaction alone). Registered connections turn
 * automatic checkpoints off; a worker copies the WAL back every `intervalMs`. If the worker cannot
 * run, every connection gets automatic checkpoints back: slower, never a WAL that grows forever.
 *
 * A WAL grown large by a burst is cut back by the worker too, and only once the writer is quiet:
 * with `journal_size_limit` SQLite cut it in the commit that started it over, an `ftruncate` of
 * tens of MB on the event loop (the alert bench: 24 ms, right after a checkpoint's fsync). Until
 * then the gateway's commits reuse the file from its start.
 */
export class BackgroundCheckpoints {
  readonly #intervalMs: number;
  readonly #module: string | undefined;
  readonly #walKeepBytes: number;
  readonly #quietPasses: number;
  readonly #open = new Map<SqliteDatabase, string>();
  readonly #last = new Map<string, CheckpointResult>();
  #worker: Worker | undefined;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #failed = false;
  #passes = 0;

  constructor(options: BackgroundCheckpointsOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#module = options.module;
    this.#walKeepBytes = options.walKeepBytes ?? 16 * 1024 * 1024;
    this.#quietPasses = options.quietPasses ?? 2;
  }

  /** False once the worker failed: connections then checkpoint themselves. */
  get running(): boolean {
    return !this.#failed;
  }

  /** Passes answered so far (tests). */
  get passes(): number {
    return this.#passes;
  }

  /** The last result for a file (tests, diagnostics). */
  lastResult(path: string): CheckpointResult | undefined {
    return this.#last.get(path);
  }

  /** Takes over the checkpoints of a connection to a WAL file; it stays SQLite's after a failure. */
  add(db: SqliteDatabase, path: string): void {
    if (this.#failed) return;
    db.pragma('wal_autocheckpoint = 0');
    // Never cut the WAL in a commit (SQLite's default; the worker cuts it when the writer is quiet).
    db.pragma('journal_size_limit = -1');
    this.#open.set(db, path);
    this.#start();
  }

  /** Resolves after the next pass has been answered (tests). */
  async nextPass(): Promise<void> {
    const target = this.#passes + 1;
    while (this.#passes < target && !this.#failed) await new Promise((r) => setTimeout(r, 10));
  }

  #start(): void {
    if (!this.#worker) {
      const module =
        this.#module ?? createRequire(join(PACKAGE_ROOT, 'package.json')).resolve('better-sqlite3');
      this.#worker = new Worker(WORKER, {
        eval: true,
        workerData: { module },
        // It opens a file and runs one statement: small heaps and stack (about 1.5 MB less RSS).
        resourceLimits: {
          maxYoungGenerationSizeMb: 1,
          maxOldGenerationSizeMb: 16,
          codeRangeSizeMb: 2,
          stackSizeMb: 1,
        },
      });
      this.#worker.on('message', (results: CheckpointResult[]) => this.#answered(results));
      this.#worker.on('error', (err) => this.#fail(err.message));
      this.#worker.on('exit', (code) => this.#fail(`the worker stopped (exit code ${code})`));
      // After the listeners: a 'message' listener refs the worker again.
      this.#worker.unref();
    }
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#pass(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  #pass(): void {
    for (const db of this.#open.keys()) if (!db.open) this.#open.delete(db);
    if (!this.#open.size) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#busy || !this.#worker) return;
    this.#busy = true;
    const request: PassRequest = {
      paths: [...new Set(this.#open.values())],
      keepBytes: this.#walKeepBytes,
      quietPasses: this.#quietPasses,
    };
    this.#worker.postMessage(request);
  }

  #answered(results: CheckpointResult[]): void {
    this.#busy = false;
    this.#passes++;
    for (const r of results) this.#last.set(r.path, r);
  }

  #fail(reason: string): void {
    if (this.#failed) return;
    this.#failed = true;
    process.emitWarning(`SQLite checkpoints are back inside commits: ${reason}`, {
      code: 'CGW_STORE_CHECKPOINTS',
    });
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#worker = undefined;
    for (const db of this.#open.keys())
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    this.#open.clear();
  }
}

/** The process's checkpointer, shared by every database `openDatabase` opens. */
export const backgroundCheckpoints = new BackgroundCheckpoints();
