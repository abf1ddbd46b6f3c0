import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers/wait.ts';
import { silentLogger } from '../log.ts';
import type { SeriesPoint } from './series-store.ts';
import { openDatabase } from './sqlite.ts';
import { EmbeddedSeriesStore, type EmbeddedSeriesStoreOptions } from './sqlite-store.ts';

const DAY = 86_400_000;
let dataDir: string;
let now: number;
const clock = { now: () => now };

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cgw-embedded-'));
  now = Date.UTC(2025, 0, 10);
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const point = (ts: number, value: number, device = 'pump-1'): SeriesPoint => ({
  measurement: 'pump',
  tags: { site: 's', device },
  fields: { flow_m3h: value },
  ts,
});

const newStore = (retention = 7 * DAY, options: Partial<EmbeddedSeriesStoreOptions> = {}) =>
  new EmbeddedSeriesStore({
    config: { retention },
    dataDir,
    log: silentLogger(),
    clock,
    flushMs: 10,
    ...options,
  });

/** A store writing 4 points to a transaction on its own time; every batch it writes, by size. */
function chunkedStore(options: Partial<EmbeddedSeriesStoreOptions>) {
  const store = newStore(7 * DAY, { chunkPoints: 4, ...options });
  const batches: number[] = [];
  store.onBatchWritten = (points) => batches.push(points);
  return { store, batches };
}

describe('EmbeddedSeriesStore', () => {
  it('keeps series across a restart, in <dataDir>/series.db (WAL mode)', async () => {
    const first = newStore();
    await first.start();
    first.write([point(now - 1000, 1), point(now, 2)]);
    await first.stop();

    const db = openDatabase(join(dataDir, 'series.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();

    const second = newStore();
    await second.start();
    const got = await second.query({
      measurement: 'pump',
      device: 'pump-1',
      field: 'flow_m3h',
      from: 0,
      to: now + 1,
    });
    expect(got).toEqual([
      { ts: now - 1000, value: 1 },
      { ts: now, value: 2 },
    ]);
    await second.stop();
  });

  it('deletes points older than the retention, and only those', async () => {
    const store = newStore(2 * DAY);
    await store.start();
    store.write([
      point(now - 3 * DAY, 1),
      point(now - 2 * DAY - 1, 2),
      point(now - DAY, 3),
      point(now, 4, 'pump-2'),
    ]);
    await store.flush();
    expect(await store.enforceRetention()).toBe(2);
    const all = async (device: string) =>
      (await store.query({ measurement: 'pump', device, field: 'flow_m3h', from: 0, to: now + 1 })).map(
        (s) => s.value,
      );
    expect(await all('pump-1')).toEqual([3]);
    expect(await all('pump-2')).toEqual([4]);
    now += 2 * DAY;
    expect(await store.enforceRetention()).toBe(1);
    expect(await all('pump-1')).toEqual([]);
    await store.stop();
  });

  it('a point written twice at one timestamp keeps the last value, as InfluxDB does', async () => {
    const store = newStore();
    await store.start();
    store.write([point(now, 1)]);
    await store.flush();
    store.write([point(now, 5)]);
    await store.flush();
    const got = await store.query({
      measurement: 'pump',
      device: 'pump-1',
      field: 'flow_m3h',
      from: 0,
      to: now + 1,
    });
    expect(got).toEqual([{ ts: now, value: 5 }]);
    await store.stop();
  });

  it('writes on its own after flushMs, without flush()', async () => {
    const store = newStore();
    await store.start();
    store.write([point(now, 1)]);
    expect(store.stats().pending).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.stats()).toMatchObject({ pending: 0, written: 1 });
    await store.stop();
  });

  it('writes on its own time in small transactions, one per turn of the event loop', async () => {
    const { store } = chunkedStore({ batchSize: 100 });
    const seen: string[] = [];
    store.onBatchWritten = (points) => {
      seen.push(`${points} (${store.stats().pending} waiting)`);
      setImmediate(() => seen.push('next turn'));
    };
    await store.start();
    store.write(Array.from({ length: 10 }, (_, i) => point(now + i, i)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Each turn of the event loop writes one transaction of at most 4 points.
    expect(seen).toEqual([
      '4 (6 waiting)',
      'next turn',
      '4 (2 waiting)',
      'next turn',
      '2 (0 waiting)',
      'next turn',
    ]);
    await store.flush();
    expect(
      await store.query({
        measurement: 'pump',
        device: 'pump-1',
        field: 'flow_m3h',
        from: now,
        to: now + 10,
      }),
    ).toHaveLength(10);
    await store.stop();
  });

  it('falls back to whole batches when more than a batch waits, and flush() writes everything at once', async () => {
    const { store, batches } = chunkedStore({ flushMs: 10_000, batchSize: 50 });
    await store.start();
    store.write(Array.from({ length: 120 }, (_, i) => point(now + i, i)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches[0]).toBe(50); // behind: a full batch on the next turn, not 4
    store.write(Array.from({ length: 10 }, (_, i) => point(now + 200 + i, i)));
    await store.flush();
    expect(store.stats()).toMatchObject({ pending: 0, written: 130 });
    await store.stop();
  });

  it('runs each chunk through defer, and a flush meanwhile leaves the deferred chunk nothing to do', async () => {
    const waiting: Array<() => void> = [];
    const { store, batches } = chunkedStore({ defer: (work) => waiting.push(work) });
    await store.start();
    store.write(Array.from({ length: 6 }, (_, i) => point(now + i, i)));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(waiting).toHaveLength(1);
    expect(batches).toEqual([]);
    waiting.shift()!();
    expect(batches).toEqual([4]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(waiting).toHaveLength(1); // the rest: the next turn, through defer again
    await store.flush();
    expect(batches).toEqual([4, 2]);
    waiting.shift()!();
    expect(batches).toEqual([4, 2]);
    expect(store.stats()).toMatchObject({ pending: 0, written: 6 });
    await store.stop();
  });

  it('holds the points while SQLite refuses writes and writes every one, in order, once it takes them again', async () => {
    const { store } = chunkedStore({});
    await store.start();
    // Another connection makes every insert fail, the way a full disk would.
    const other = openDatabase(join(dataDir, 'series.db'));
    other.exec(
      `CREATE TRIGGER refuse BEFORE INSERT ON samples BEGIN SELECT RAISE(ABORT, 'disk is full'); END`,
    );
    store.write(Array.from({ length: 10 }, (_, i) => point(now + i, i)));
    await waitFor(() => store.health().state === 'down', 'the store reporting the refusal');
    expect(store.health().detail).toContain('disk is full');
    expect(store.stats()).toMatchObject({ pending: 10, written: 0 });
    other.exec('DROP TRIGGER refuse');
    other.close();
    await waitFor(() => store.stats().written === 10, 'the held points written after the retry', 5000);
    expect(store.health().state).toBe('up');
    const got = await store.query({
      measurement: 'pump',
      device: 'pump-1',
      field: 'flow_m3h',
      from: now,
      to: now + 10,
    });
    expect(got.map((s) => s.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await store.stop();
  });
});
