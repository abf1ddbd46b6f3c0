import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import { InfluxSeriesStore, type InfluxSeriesStoreOptions } from '../gateway/store/influx-store.ts';
import type { SeriesPoint, SeriesStoreStats } from '../gateway/store/series-store.ts';
import { Spool } from '../gateway/store/spool.ts';
import { startInfluxd, type InfluxdHandle } from './helpers/influxd.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/store-writer.ts');
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const seqPoint = (i: number, fields: SeriesPoint['fields'] = { seq: i }): SeriesPoint => ({
  measurement: 'pump',
  tags: { site: 'garden-court', device: 'pump-1' },
  fields,
  ts: BASE + i,
});

let influxd: InfluxdHandle;
let dataDir: string;
let db = 0;

beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.dispose();
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cgw-outage-'));
  await influxd.start(); // a test may have left it stopped
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function newStore(database: string, overrides: Partial<InfluxSeriesStoreOptions> = {}): InfluxSeriesStore {
  return new InfluxSeriesStore({
    config: { url: influxd.url, database, batchSize: 500, flushMs: 100 },
    dataDir,
    log: silentLogger(),
    retry: { minMs: 100, maxMs: 1000 },
    requestTimeoutMs: 2000,
    ...overrides,
  });
}

/** Every `seq` point's timestamp in the database: count and distinctness in one read. */
async function storedTimes(database: string): Promise<number[]> {
  const answer = await influxd.query('SELECT seq FROM pump', database);
  return (answer.results[0]?.series?.[0]?.values ?? []).map((row) => Number(row[0]));
}

async function expectEveryPointOnce(database: string, sent: number): Promise<void> {
  expect(await influxd.countPoints(database, 'pump', 'seq')).toBe(sent);
  const times = await storedTimes(database);
  expect(times.length).toBe(sent);
  expect(new Set(times).size).toBe(sent);
  expect(Math.min(...times)).toBe(BASE);
  expect(Math.max(...times)).toBe(BASE + sent - 1);
}

describe('InfluxSeriesStore against a real influxd: outages, kills, refusals', () => {
  it('streams through a 20 s InfluxDB outage: every point lands exactly once, via the spool', async () => {
    const database = `outage_${++db}`;
    const store = newStore(database);
    await store.start();
    let sent = 0;
    const stream = setInterval(() => store.write([seqPoint(sent++)]), 10);
    try {
      await sleep(3000);
      await influxd.stop();
      const sentAtStop = sent;
      await sleep(20_000);
      expect(store.health().state).toBe('degraded');
      const during = store.stats();
      expect(during.spoolDepth).toBeGreaterThan(sent - sentAtStop - 100); // what came during the outage is on disk
      await influxd.start(); // same port, same data
      await sleep(3000);
    } finally {
      clearInterval(stream);
    }
    await store.flush();
    const stats = store.stats();
    expect(stats).toMatchObject({ accepted: sent, written: sent, rejected: 0, pending: 0, spoolDepth: 0 });
    expect(stats.spooled).toBeGreaterThan(0);
    expect(stats.replayed).toBeGreaterThan(0);
    expect(stats.replayed).toBeLessThanOrEqual(stats.spooled);
    expect(store.health().state).toBe('up');
    await expectEveryPointOnce(database, sent);
    await store.stop();
    const spool = Spool.open({ dir: join(dataDir, 'spool') });
    expect(spool.recovery.points).toBe(0); // nothing left to replay
    spool.close();
  }, 60_000);

  it('starts while InfluxDB is down, spools, and delivers once it is up', async () => {
    const database = `late_${++db}`;
    await influxd.stop();
    const store = newStore(database);
    await store.start(); // must not fail
    store.write(Array.from({ length: 1200 }, (_, i) => seqPoint(i)));
    await store.flush(); // resolves: spooled
    expect(store.health().state).toBe('degraded');
    expect(store.stats()).toMatchObject({ spoolDepth: 1200, written: 0 });
    await influxd.start();
    await store.flush();
    expect(store.stats()).toMatchObject({ written: 1200, spoolDepth: 0, replayed: 1200 });
    await expectEveryPointOnce(database, 1200);
    await store.stop();
  }, 30_000);

  it('a 400 (field type conflict) is counted as rejected, not retried, and the batch goes on', async () => {
    const database = `conflict_${++db}`;
    const store = newStore(database);
    await store.start();
    store.write([seqPoint(0, { seq: 0, running: true })]);
    await store.flush();
    store.write([seqPoint(1, { running: 1.5 }), seqPoint(2, { seq: 2 })]); // running was boolean
    await store.flush();
    await sleep(500); // a retry loop would show up here
    expect(store.stats()).toMatchObject({ written: 2, rejected: 1, pending: 0, spoolDepth: 0 });
    expect(store.health().state).toBe('up');
    expect(await influxd.countPoints(database, 'pump', 'seq')).toBe(2);
    await store.stop();
  }, 30_000);

  async function runKilledWriter(args: {
    database: string;
    count: number;
    flushMs: number;
    batchSize: number;
  }) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        FIXTURE,
        dataDir,
        influxd.url,
        args.database,
        String(args.count),
        String(args.flushMs),
        String(args.batchSize),
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, CGW_TEST_BASE_TS: String(BASE) },
      },
    );
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await Promise.race([once(lines, 'line'), exited.then(() => ['exited'])])) as [string];
    const report = JSON.parse(line) as { written: number; stats: SeriesStoreStats };
    child.kill('SIGKILL');
    const [, signal] = await exited;
    expect(signal).toBe('SIGKILL');
    return report;
  }

  it('kill -9 while InfluxDB is down: the next store replays the spool, every point once', async () => {
    const database = `killed_${++db}`;
    await influxd.stop();
    const report = await runKilledWriter({ database, count: 3000, flushMs: 100, batchSize: 500 });
    expect(report.stats).toMatchObject({ accepted: 3000, written: 0, spoolDepth: 3000 });

    await influxd.start();
    const store = newStore(database);
    await store.start();
    await store.flush();
    expect(store.stats()).toMatchObject({ recovered: 3000, replayed: 3000, written: 3000, spoolDepth: 0 });
    await expectEveryPointOnce(database, 3000);
    await store.stop();
  }, 60_000);

  it('kill -9 with points accepted but not yet sent (InfluxDB up): the write-ahead spool keeps them', async () => {
    const database = `unsent_${++db}`;
    // flushMs 60 s and a batch larger than the count: nothing is sent before the kill.
    const report = await runKilledWriter({ database, count: 2000, flushMs: 60_000, batchSize: 50_000 });
    expect(report.stats).toMatchObject({ accepted: 2000, written: 0, spoolDepth: 2000 });
    expect(await influxd.countPoints(database, 'pump', 'seq')).toBe(0);

    const store = newStore(database);
    await store.start();
    await store.flush();
    expect(store.stats()).toMatchObject({ recovered: 2000, written: 2000, spoolDepth: 0 });
    await expectEveryPointOnce(database, 2000);
    await store.stop();
  }, 60_000);
});
