import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.ts';
import { BackgroundCheckpoints } from './checkpoints.ts';
import { openDatabase, type SqliteDatabase } from './sqlite.ts';

let dir: string;
const opened: SqliteDatabase[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-checkpoints-'));
});
afterEach(async () => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  await rm(dir, { recursive: true, force: true });
});

/** A database whose checkpoints are left to SQLite, then handed to `checkpoints`. */
function database(name: string, checkpoints: BackgroundCheckpoints): SqliteDatabase {
  const path = join(dir, name);
  const db = openDatabase(path, { foregroundCheckpoints: true });
  opened.push(db);
  db.exec('CREATE TABLE t (v TEXT)');
  checkpoints.add(db, path);
  return db;
}

/** Until a pass has copied every frame of a non-empty WAL into the database. */
async function completeCheckpoint(checkpoints: BackgroundCheckpoints, path: string): Promise<void> {
  await waitFor(() => {
    const last = checkpoints.lastResult(path);
    return last?.log !== undefined && last.log > 0 && last.checkpointed === last.log;
  }, 'a complete checkpoint');
}

function write(db: SqliteDatabase, rows: number): void {
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run('x'.repeat(200));
  })();
}

describe('background WAL checkpoints', () => {
  it('copies the WAL into the database on the worker; commits never do it themselves', async () => {
    const checkpoints = new BackgroundCheckpoints({ intervalMs: 20 });
    const db = database('a.db', checkpoints);
    const path = join(dir, 'a.db');
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // Far past SQLite's 1,000 pages: with automatic checkpoints the WAL would have been reset.
    for (let i = 0; i < 20; i++) write(db, 1000);
    const walBytes = statSync(`${path}-wal`).size;
    expect(walBytes).toBeGreaterThan(1000 * 4096);

    await completeCheckpoint(checkpoints, path);
    // Everything was copied back: the next commit starts the WAL over, it does not grow it.
    write(db, 1000);
    expect(statSync(`${path}-wal`).size).toBe(walBytes);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 21_000 });
  });

  it('never cuts the WAL in a commit: the commit that starts it over reuses the file', async () => {
    // With `journal_size_limit` SQLite cut the file in that commit: tens of ms on the event loop.
    const checkpoints = new BackgroundCheckpoints({
      intervalMs: 20,
      walKeepBytes: 64 * 1024,
      quietPasses: Number.MAX_SAFE_INTEGER,
    });
    const db = database('g.db', checkpoints);
    const path = join(dir, 'g.db');
    write(db, 5000);
    const walBytes = statSync(`${path}-wal`).size;
    expect(walBytes).toBeGreaterThan(1024 * 1024);
    await completeCheckpoint(checkpoints, path);
    write(db, 1); // starts the WAL over
    expect(statSync(`${path}-wal`).size).toBe(walBytes);
    expect(db.pragma('journal_size_limit', { simple: true })).toBe(-1);
  });

  it('cuts a WAL grown by a burst back on the worker, once it is copied and the writer is quiet', async () => {
    const checkpoints = new BackgroundCheckpoints({ intervalMs: 20, walKeepBytes: 64 * 1024 });
    const db = database('h.db', checkpoints);
    const path = join(dir, 'h.db');
    write(db, 5000);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(1024 * 1024);
    await waitFor(() => statSync(`${path}-wal`).size <= 64 * 1024, 'the WAL cut back');
    write(db, 1); // the gateway writes on as before
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 5001 });
  });

  it('leaves a WAL under the size it keeps as it is', async () => {
    const checkpoints = new BackgroundCheckpoints({ intervalMs: 20 });
    const db = database('i.db', checkpoints);
    const path = join(dir, 'i.db');
    write(db, 100);
    const walBytes = statSync(`${path}-wal`).size;
    const passes = checkpoints.passes;
    await waitFor(() => checkpoints.passes >= passes + 4, 'four quiet passes');
    expect(checkpoints.lastResult(path)?.truncated).toBe(false);
    expect(statSync(`${path}-wal`).size).toBe(walBytes);
  });

  it('leaves a closed database alone, and its WAL is gone with its last connection', async () => {
    const checkpoints = new BackgroundCheckpoints({ intervalMs: 20 });
    const db = database('b.db', checkpoints);
    write(db, 100);
    await checkpoints.nextPass();
    db.close();
    await new Promise((r) => setTimeout(r, 100)); // a pass already asked for may still answer
    const passes = checkpoints.passes;
    await new Promise((r) => setTimeout(r, 100));
    expect(checkpoints.passes).toBe(passes); // nothing left to look after: the timer stopped
    expect(existsSync(join(dir, 'b.db-wal'))).toBe(false);
  });

  it('hands the checkpoints back to SQLite when the worker cannot run', async () => {
    const checkpoints = new BackgroundCheckpoints({ intervalMs: 20, module: join(dir, 'missing.js') });
    const db = database('c.db', checkpoints);
    await waitFor(() => !checkpoints.running, 'the worker to fail');
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const later = database('d.db', checkpoints);
    expect(later.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('is what openDatabase uses for every writable database file', () => {
    const db = openDatabase(join(dir, 'e.db'));
    opened.push(db);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const own = openDatabase(join(dir, 'f.db'), { foregroundCheckpoints: true });
    opened.push(own);
    expect(own.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
