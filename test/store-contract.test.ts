import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import { InfluxSeriesStore } from '../gateway/store/influx-store.ts';
import type { SeriesPoint, SeriesStore } from '../gateway/store/series-store.ts';
import { EmbeddedSeriesStore } from '../gateway/store/sqlite-store.ts';
import type { Scalar } from '../gateway/types.ts';
import { startInfluxd, type InfluxdHandle } from './helpers/influxd.ts';

type StoreFactory = () => Promise<{ store: SeriesStore; dispose(): Promise<void> }>;

/** An hour ago, on a whole minute: inside any retention, and buckets are easy to reason about. */
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

const point = (
  device: string,
  ts: number,
  fields: Record<string, Scalar>,
  extra: Partial<SeriesPoint> = {},
): SeriesPoint => ({ measurement: 'pump', tags: { site: 'garden-court', device }, fields, ts, ...extra });

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The one contract every series store passes (STYLE.md: one suite, every implementation). */
function describeSeriesStoreContract(name: string, factory: StoreFactory): void {
  describe(`SeriesStore contract: ${name}`, () => {
    let store: SeriesStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await factory());
      await store.start();
    });
    afterEach(async () => {
      await store.stop();
      await dispose();
    });

    it('a range query returns exactly the points in [from, to), in time order', async () => {
      const points = Array.from({ length: 50 }, (_, i) =>
        point('pump-1', BASE + i * 1000, { flow_m3h: i * 1.5 }),
      );
      // Out of order and in several calls: order is the store's job.
      store.write(points.slice(30).reverse());
      store.write(points.slice(0, 30));
      store.write([point('pump-1', BASE + 15_000, { other_field: 7 }, { measurement: 'elevator' })]);
      await store.flush();
      const got = await store.query({
        measurement: 'pump',
        device: 'pump-1',
        field: 'flow_m3h',
        from: BASE + 10_000,
        to: BASE + 20_000,
      });
      expect(got).toEqual(
        Array.from({ length: 10 }, (_, i) => ({ ts: BASE + (10 + i) * 1000, value: (10 + i) * 1.5 })),
      );
    });

    it('numbers are floats: 3 and then 3.5 in the same field is no type conflict', async () => {
      store.write([point('pump-1', BASE, { outlet_pressure_bar: 3 })]);
      await store.flush();
      store.write([point('pump-1', BASE + 1, { outlet_pressure_bar: 3.5 })]);
      store.write([point('pump-1', BASE + 2, { outlet_pressure_bar: -2 })]);
      await store.flush();
      const got = await store.query({
        measurement: 'pump',
        device: 'pump-1',
        field: 'outlet_pressure_bar',
        from: BASE,
        to: BASE + 10,
      });
      expect(got.map((s) => s.value)).toEqual([3, 3.5, -2]);
      expect(store.stats().rejected).toBe(0);
    });

    it('booleans and strings round-trip, awkward characters and tag values included', async () => {
      const texts = [
        'plain',
        'he said "stop"',
        'back\\slash',
        'trailing\\',
        'two\nlines',
        'a,b=c d',
        '电梯 ↑',
        '',
      ];
      const device = 'lift b1,a=1';
      store.write(
        texts.map((text, i) =>
          point(device, BASE + i, { mode: text, door_open: i % 2 === 0 }, { measurement: 'elevator' }),
        ),
      );
      await store.flush();
      const q = { measurement: 'elevator', device, from: BASE, to: BASE + 100 };
      const modes = await store.query({ ...q, field: 'mode' });
      const doors = await store.query({ ...q, field: 'door_open' });
      expect(modes).toEqual(texts.map((value, i) => ({ ts: BASE + i, value })));
      expect(doors).toEqual(texts.map((_, i) => ({ ts: BASE + i, value: i % 2 === 0 })));
    });

    it('downsamples to at most N buckets stamped with their start, each the mean of its points', async () => {
      const values = Array.from({ length: 100 }, (_, i) => i);
      store.write(
        values.map((v) =>
          point('pump-1', BASE + v * 1000, { flow_m3h: v, running: v % 4 === 0, state: `s${v}` }),
        ),
      );
      await store.flush();
      const q = { measurement: 'pump', device: 'pump-1', from: BASE, to: BASE + 100_000 };

      const ten = await store.query({ ...q, field: 'flow_m3h', points: 10 });
      expect(ten).toEqual(
        Array.from({ length: 10 }, (_, k) => ({ ts: BASE + k * 10_000, value: k * 10 + 4.5 })),
      );

      // 7 buckets of ceil(100 s / 7) = 14.286 s: compute each expected mean independently.
      const seven = await store.query({ ...q, field: 'flow_m3h', points: 7 });
      const width = Math.ceil(100_000 / 7);
      expect(seven.length).toBeLessThanOrEqual(7);
      expect(seven).toEqual(
        Array.from({ length: 7 }, (_, k) => ({
          ts: BASE + k * width,
          value: mean(values.filter((v) => Math.floor((v * 1000) / width) === k)),
        })),
      );

      const running = await store.query({ ...q, field: 'running', points: 5 });
      expect(running).toEqual(Array.from({ length: 5 }, (_, k) => ({ ts: BASE + k * 20_000, value: 0.25 })));

      const states = await store.query({ ...q, field: 'state', points: 4 });
      expect(states).toEqual(
        Array.from({ length: 4 }, (_, k) => ({ ts: BASE + k * 25_000, value: `s${k * 25 + 24}` })),
      );
    });

    it("keeps devices apart: querying device A never returns device B's points", async () => {
      store.write([
        point('pump-a', BASE, { flow_m3h: 1 }),
        point('pump-b', BASE, { flow_m3h: 2 }),
        point('pump-a', BASE + 1000, { flow_m3h: 3 }),
        point('pump-b', BASE + 2000, { flow_m3h: 4 }),
      ]);
      await store.flush();
      const q = { measurement: 'pump', field: 'flow_m3h', from: BASE, to: BASE + 10_000 };
      expect((await store.query({ ...q, device: 'pump-a' })).map((s) => s.value)).toEqual([1, 3]);
      expect((await store.query({ ...q, device: 'pump-b' })).map((s) => s.value)).toEqual([2, 4]);
      expect(await store.query({ ...q, device: 'pump-c' })).toEqual([]);
      expect(await store.query({ ...q, device: 'pump-a', points: 1 })).toEqual([{ ts: BASE, value: 2 }]);
    });

    it('lands every one of 20,000 points', async () => {
      const total = 20_000;
      for (let start = 0; start < total; start += 2500) {
        store.write(
          Array.from({ length: 2500 }, (_, i) =>
            point('pump-1', BASE + (start + i) * 10, { flow_m3h: start + i }),
          ),
        );
      }
      await store.flush();
      const got = await store.query({
        measurement: 'pump',
        device: 'pump-1',
        field: 'flow_m3h',
        from: BASE,
        to: BASE + total * 10,
      });
      expect(got.length).toBe(total);
      expect(new Set(got.map((s) => s.ts)).size).toBe(total);
      expect(got.at(-1)).toEqual({ ts: BASE + (total - 1) * 10, value: total - 1 });
      expect(store.stats()).toMatchObject({ accepted: total, written: total, pending: 0, rejected: 0 });
    });

    it('stats add up; unwritable points are counted as rejected, never thrown', async () => {
      const batches: number[] = [];
      store.onBatchWritten = (points, ms) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        batches.push(points);
      };
      store.write(Array.from({ length: 10 }, (_, i) => point('pump-1', BASE + i, { flow_m3h: i })));
      expect(() =>
        store.write([
          point('pump-1', BASE + 20, {}), // no field
          point('pump-1', Number.NaN, { flow_m3h: 1 }), // no time
          point('pump-1', BASE + 21, { flow_m3h: Number.POSITIVE_INFINITY }), // nothing storable
        ]),
      ).not.toThrow();
      await store.flush();
      const stats = store.stats();
      expect(stats).toMatchObject({ accepted: 13, written: 10, rejected: 3, pending: 0, spoolDepth: 0 });
      expect(stats.accepted + (stats.recovered ?? 0)).toBe(stats.written + stats.rejected + stats.pending);
      expect(batches.reduce((a, b) => a + b, 0)).toBe(10);
      expect(store.health().state).toBe('up');
    });

    it('stop() is idempotent, and a write after it neither throws nor vanishes uncounted', async () => {
      store.write([point('pump-1', BASE, { flow_m3h: 1 })]);
      await Promise.all([store.stop(), store.stop()]);
      await store.stop();
      expect(store.health().state).toBe('down');
      expect(store.stats().written).toBe(1); // stop delivered what was queued
      expect(() => store.write([point('pump-1', BASE + 1, { flow_m3h: 2 })])).not.toThrow();
      expect(store.stats()).toMatchObject({ accepted: 2, written: 1, rejected: 1 });
    });
  });
}

describeSeriesStoreContract('embedded (SQLite)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cgw-contract-'));
  const store = new EmbeddedSeriesStore({
    config: { retention: 7 * 86_400_000 },
    dataDir: dir,
    log: silentLogger(),
    flushMs: 20,
  });
  return { store, dispose: () => rm(dir, { recursive: true, force: true }) };
});

describe('InfluxDB 1.x (real influxd)', () => {
  let influxd: InfluxdHandle;
  let n = 0;
  beforeAll(async () => {
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.dispose();
  });

  describeSeriesStoreContract('influxdb', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cgw-contract-'));
    const store = new InfluxSeriesStore({
      config: { url: influxd.url, database: `contract_${++n}`, batchSize: 5000, flushMs: 50 },
      dataDir: dir,
      log: silentLogger(),
    });
    return { store, dispose: () => rm(dir, { recursive: true, force: true }) };
  });
});
