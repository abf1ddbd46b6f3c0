import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../log.ts';
import { InfluxSeriesStore, type InfluxSeriesStoreOptions } from './influx-store.ts';
import type { SeriesPoint } from './series-store.ts';
import { Spool } from './spool.ts';

/** A stand-in InfluxDB answering /write as each test says: for the answers a real one rarely gives. */
interface FakeInflux {
  url: string;
  writes: { body: string; authorization: string | undefined }[];
  answer: (body: string) => { status: number; error?: string } | 'hang';
  close(): Promise<void>;
}

async function startFake(): Promise<FakeInflux> {
  const fake: Omit<FakeInflux, 'url' | 'close'> = { writes: [], answer: () => ({ status: 204 }) };
  const read = async (req: IncomingMessage) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    return body;
  };
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.url?.startsWith('/query')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
      return;
    }
    fake.writes.push({ body, authorization: req.headers.authorization });
    const answer = fake.answer(body);
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.error ? JSON.stringify({ error: answer.error }) : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const points = (n: number, from = 0): SeriesPoint[] =>
  Array.from({ length: n }, (_, i) => ({
    measurement: 'pump',
    tags: { device: 'pump-1' },
    fields: { seq: from + i },
    ts: 1_700_000_000_000 + from + i,
  }));

const linesOf = (writes: FakeInflux['writes']) => writes.flatMap((w) => w.body.split('\n').filter(Boolean));
const turn = () => new Promise((resolve) => setImmediate(resolve));

let fake: FakeInflux;
let dataDir: string;
let store: InfluxSeriesStore;

function newStore(overrides: Partial<InfluxSeriesStoreOptions> = {}): InfluxSeriesStore {
  store = new InfluxSeriesStore({
    config: { url: fake.url, database: 'community', batchSize: 5000, flushMs: 20 },
    dataDir,
    log: silentLogger(),
    retry: { minMs: 20, maxMs: 100 },
    ...overrides,
  });
  return store;
}

beforeEach(async () => {
  fake = await startFake();
  dataDir = await mkdtemp(join(tmpdir(), 'cgw-influx-store-'));
});
afterEach(async () => {
  await store?.stop();
  await fake.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('InfluxSeriesStore (against a stand-in InfluxDB)', () => {
  it('retries 5xx with backoff and stores every point once; they count as spooled and replayed', async () => {
    let failures = 3;
    fake.answer = () => (failures-- > 0 ? { status: 503, error: 'engine busy' } : { status: 204 });
    newStore();
    await store.start();
    store.write(points(100));
    await store.flush(); // resolves on the first failure: the points are on disk
    expect(store.health().state).toBe('degraded');
    expect(store.stats().spooled).toBe(100);
    await vi.waitFor(() => expect(store.stats().written).toBe(100), { timeout: 5000 });
    expect(fake.writes.length).toBe(4);
    expect(linesOf(fake.writes.slice(-1)).length).toBe(100);
    expect(store.stats()).toMatchObject({ replayed: 100, spoolDepth: 0, rejected: 0 });
    expect(store.health().state).toBe('up');
  });

  it('counts the points of a partial write (400, dropped=N) as rejected and does not retry', async () => {
    fake.answer = () => ({ status: 400, error: 'partial write: field type conflict: … dropped=2' });
    newStore();
    await store.start();
    store.write(points(10));
    await store.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.writes.length).toBe(1);
    expect(store.stats()).toMatchObject({ written: 8, rejected: 2, pending: 0, spoolDepth: 0 });
    expect(store.health().state).toBe('up');
  });

  it('answers 413 by sending smaller batches until they fit, losing nothing', async () => {
    fake.answer = (body) =>
      body.length > 5000 ? { status: 413, error: 'request entity too large' } : { status: 204 };
    newStore({ config: { url: fake.url, database: 'community', batchSize: 5000, flushMs: 10_000 } });
    await store.start();
    for (let i = 0; i < 10; i++) {
      store.write(points(50, i * 50)); // one spool record per event-loop turn
      await turn();
    }
    await store.flush();
    const stored = fake.writes.filter((w) => w.body.length <= 5000);
    expect(new Set(linesOf(stored)).size).toBe(500);
    expect(linesOf(stored).length).toBe(500);
    expect(store.stats()).toMatchObject({ written: 500, rejected: 0, spoolDepth: 0 });
  });

  it('sends configured credentials as HTTP basic auth', async () => {
    newStore({
      config: {
        url: fake.url,
        database: 'community',
        username: 'gw',
        password: 's3cret',
        batchSize: 10,
        flushMs: 20,
      },
    });
    await store.start();
    store.write(points(3));
    await store.flush();
    expect(fake.writes[0]?.authorization).toBe(`Basic ${Buffer.from('gw:s3cret').toString('base64')}`);
  });

  it('batches by size and time: a full batch goes at once, a partial one after flushMs', async () => {
    newStore({ config: { url: fake.url, database: 'community', batchSize: 100, flushMs: 300 } });
    await store.start();
    store.write(points(250));
    await vi.waitFor(() => expect(fake.writes.length).toBe(2), { timeout: 1000 });
    expect(linesOf(fake.writes).length).toBe(200); // two full batches; 50 wait for flushMs
    await vi.waitFor(() => expect(linesOf(fake.writes).length).toBe(250), { timeout: 2000 });
  });

  it('past the spool limit keeps new points in memory, says so in health, and loses none once InfluxDB is back', async () => {
    let down = true;
    fake.answer = () => (down ? { status: 503, error: 'engine busy' } : { status: 204 });
    // About 60 bytes a point: the first batches fill the 3,000-byte spool, the rest wait in memory.
    newStore({ spool: { maxBytes: 3000, segmentBytes: 1000 } });
    await store.start();
    for (let i = 0; i < 10; i++) {
      store.write(points(10, i * 10));
      await turn();
    }
    await store.flush();
    const { spoolDepth, pending } = store.stats();
    expect(spoolDepth).toBeGreaterThan(0);
    expect(spoolDepth).toBeLessThan(100);
    expect(pending).toBe(100); // the rest in memory
    expect(store.health()).toMatchObject({ state: 'down', detail: expect.stringMatching(/spool full/) });
    down = false;
    await vi.waitFor(() => expect(store.stats().written).toBe(100), { timeout: 5000 });
    const seqs = linesOf(fake.writes).map((l) => /seq=(\d+)/.exec(l)![1]);
    expect(new Set(seqs).size).toBe(100);
    expect(store.stats().rejected).toBe(0);
    // Written again: the spool takes points once more.
    store.write(points(5, 100));
    await turn();
    expect(store.health().detail).not.toMatch(/spool full/);
  });

  it('stop() is bounded when InfluxDB hangs, and leaves the unsent points in the spool', async () => {
    fake.answer = () => 'hang';
    newStore({ stopTimeoutMs: 300, requestTimeoutMs: 30_000 });
    await store.start();
    store.write(points(50));
    await turn();
    const started = Date.now();
    await store.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(store.stats().written).toBe(0);
    const spool = Spool.open({ dir: join(dataDir, 'spool') });
    expect(spool.recovery.points).toBe(50);
    spool.close();
  });

  it('keeps points written before start() and delivers them after it', async () => {
    newStore();
    store.write(points(5));
    expect(store.health().state).toBe('down');
    await store.start();
    await store.flush();
    expect(linesOf(fake.writes).length).toBe(5);
  });

  it('appends the turn’s points through defer: on disk once the deferred work runs, in order', async () => {
    const waiting: Array<() => void> = [];
    newStore({ defer: (work) => waiting.push(work) });
    await store.start();
    store.write(points(3));
    await turn();
    expect(waiting).toHaveLength(1);
    expect(store.stats().spoolDepth).toBe(0); // still in memory: an alert is on its way out
    store.write(points(2, 3)); // joins the waiting append, no second one
    await turn();
    expect(waiting).toHaveLength(1);
    waiting.shift()!();
    expect(store.stats().spoolDepth).toBe(5);
    await store.flush();
    expect(linesOf(fake.writes).map((l) => l.match(/seq=(\d+)/)![1])).toEqual(['0', '1', '2', '3', '4']);
    await store.stop();
  });
});
