import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError } from '../errors.ts';
import { backgroundCheckpoints } from './checkpoints.ts';

/** A better-sqlite3 connection; other modules get it from the store module, never the package. */
export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  readonly?: boolean;
  /** Leave WAL checkpoints inside commits, as SQLite does by default (default: a worker does them). */
  foregroundCheckpoints?: boolean;
}

/**
 * Opens (creating it and its folder if needed) a SQLite database the way every embedded store
 * of the gateway wants it:
 * - WAL journal: readers (dashboard queries) never block the writer, and a crash mid-transaction
 *   leaves the last committed state;
 * - synchronous=NORMAL: with WAL this is safe against a process crash (kill -9); a power loss may
 *   lose the last transactions, never corrupt the file. FULL would fsync every commit;
 * - busy_timeout: a second connection (a CLI command on the same file) waits instead of failing;
 * - foreign keys on, temporary tables in memory;
 * - WAL checkpoints on a worker thread (checkpoints.ts), not in the middle of a commit.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly: options.readonly ?? false });
  } catch (err) {
    throw new GatewayError('CGW_STORE_UNAVAILABLE', `cannot open ${path}`, { cause: err, context: { path } });
  }
  if (!inMemory && !options.readonly) {
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      db.close();
      throw new GatewayError(
        'CGW_STORE_UNAVAILABLE',
        `${path}: the filesystem refuses WAL mode (${String(mode)})`,
      );
    }
  }
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  if (!inMemory && !options.readonly && !options.foregroundCheckpoints)
    backgroundCheckpoints.add(db, resolve(path));
  return db;
}
