import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusAdapter } from '../adapters/modbus/adapter.ts';
import { ModbusConnection } from '../adapters/modbus/connection.ts';
import { createLogger, silentLogger } from '../gateway/log.ts';
import { createPumpSimulator, type PumpSimulator } from '../simulators/pump.ts';
import { startPumpProcess } from '../simulators/pump-process.ts';
import { modbusDevices, pumpConfig, record } from './helpers/modbus.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A logger whose lines the test can read back. */
function capturedLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()).msg as string);
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

const POLL_MS = 200;
const TIMEOUT_MS = 80;
const timing = { pollMs: POLL_MS, timeoutMs: TIMEOUT_MS, offlineAfterFailures: 3, backoffMaxMs: 800 };

async function simulators(count: number, unitsEach: number): Promise<PumpSimulator[]> {
  const sims: PumpSimulator[] = [];
  for (let i = 0; i < count; i++) {
    const sim = createPumpSimulator({
      port: await freePort(),
      units: Array.from({ length: unitsEach }, (_, u) => ({ unitId: u + 1 })),
      seed: i,
    });
    await sim.start();
    cleanups.push(() => sim.stop());
    sims.push(sim);
  }
  return sims;
}

function adapterFor(devices: Parameters<typeof pumpConfig>[0], log = capturedLog()) {
  const adapter = new ModbusAdapter({ devices: modbusDevices(pumpConfig(devices)), log: log.log });
  cleanups.push(() => adapter.stop());
  return { adapter, seen: record(adapter), lines: log.lines };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('Modbus faults', () => {
  it('20 units, 2 dead: the 18 healthy keep their cadence, the dead go offline with a reason and come back', async () => {
    // Four TCP gateways with five pumps each, in a process of their own (real devices do not
    // share the gateway's CPU); the dead ones share their line with healthy ones.
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const pumps = await startPumpProcess({ ports, unitsPerPort: 5 });
    cleanups.push(async () => void (await pumps.stop()));
    const dead = [
      { id: 'pump-0-3', port: ports[0]!, unit: 3 },
      { id: 'pump-2-5', port: ports[2]!, unit: 5 },
    ];
    for (const d of dead) await pumps.setFault(d.port, d.unit, 'dead', true);
    const devices = ports.flatMap((port, s) =>
      [1, 2, 3, 4, 5].map((unitId) => ({
        id: `pump-${s}-${unitId}`,
        modbus: { host: '127.0.0.1', port, unitId, profile: 'booster-pump-v1', ...timing },
      })),
    );
    const { adapter, seen } = adapterFor(devices);
    await adapter.start();
    // Measured over two seconds after one of warm-up (connecting, the dead units' first timeouts).
    await new Promise((r) => setTimeout(r, 1000));
    const from = Date.now();
    // What this process's own scheduling delays (a busy machine) add to every reading's time:
    // allowed on top, so what is measured is the dead units' effect.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    await new Promise((r) => setTimeout(r, 2000));
    loop.disable();
    const to = from + 2000;
    const stall = loop.max / 1e6;

    const healthy = devices.map((d) => d.id).filter((id) => !dead.some((d) => d.id === id));
    expect(healthy).toHaveLength(18);
    const gaps: number[] = [];
    for (const id of healthy) {
      const ts = seen.of(id).map((r) => r.ts);
      const inWindow = ts.filter((t) => t >= from && t < to);
      // No slot lost (unless this process stalled for longer than a slot).
      expect(inWindow.length, id).toBeGreaterThanOrEqual(2000 / POLL_MS - 1 - Math.floor(stall / POLL_MS));
      expect(inWindow.length, id).toBeLessThanOrEqual(2000 / POLL_MS + 1);
      const deviceGaps = inWindow.slice(1).map((t, i) => t - inWindow[i]!);
      expect(Math.abs(percentile(deviceGaps, 50) - POLL_MS), id).toBeLessThan(POLL_MS * 0.1 + stall);
      gaps.push(...deviceGaps);
      expect(seen.statusOf(id)).toEqual([expect.objectContaining({ online: true })]);
    }
    // A reading is late by at most about one request of a dead unit holding the shared line
    // (measured on an idle 2-core machine: p50 1 ms, p95 35-60 ms, max about 110 ms); the slots
    // themselves never move.
    const jitter = gaps.map((g) => Math.abs(g - POLL_MS));
    expect(percentile(jitter, 50)).toBeLessThan(20 + stall);
    expect(percentile(jitter, 95)).toBeLessThan(TIMEOUT_MS + 40 + stall);
    expect(Math.max(...jitter)).toBeLessThan(POLL_MS + TIMEOUT_MS + stall);

    for (const d of dead) {
      expect(seen.of(d.id)).toEqual([]);
      expect(seen.statusOf(d.id)).toEqual([
        expect.objectContaining({
          online: false,
          reason: `no answer within ${TIMEOUT_MS} ms (3 polls failed)`,
        }),
      ]);
      await pumps.setFault(d.port, d.unit, 'dead', false);
    }
    await waitFor(() => dead.every((d) => seen.of(d.id).length >= 6), 'the revived units polled again', 8000);
    for (const d of dead) {
      expect(seen.statusOf(d.id).map((s) => s.online)).toEqual([false, true]);
      const ts = seen.of(d.id).map((r) => r.ts);
      // Back on the regular cadence, not on the probes' backoff (400-800 ms by then). The median
      // of the gaps after the first reading: one poll delayed by a busy machine makes one short
      // gap and one long one, never a median on the backoff.
      const gapsAfter = ts.slice(2, 6).map((t, i) => t - ts[i + 1]!);
      expect(percentile(gapsAfter, 50)).toBeGreaterThan(POLL_MS * 0.5);
      expect(percentile(gapsAfter, 50)).toBeLessThan(POLL_MS * 1.5);
    }
  });

  it('reconnects by itself when the simulator restarts mid-run, saying so once each way', async () => {
    const [sim] = await simulators(1, 2);
    const { adapter, seen, lines } = adapterFor(
      [1, 2].map((unitId) => ({
        id: `p${unitId}`,
        modbus: { host: '127.0.0.1', port: sim!.port, unitId, profile: 'booster-pump-v1', ...timing },
      })),
    );
    await adapter.start();
    await waitFor(() => seen.of('p1').length >= 2 && seen.of('p2').length >= 2, 'first readings');
    await sim!.stop();
    await waitFor(() => seen.statusOf('p1').some((s) => !s.online), 'p1 offline', 5000);
    const offline = seen.statusOf('p1').find((s) => !s.online)!;
    expect(offline.reason).toMatch(/connection (refused|closed by the device)/);
    await new Promise((r) => setTimeout(r, 1500)); // a few reconnect attempts, with backoff
    const before = seen.of('p1').length;
    await sim!.start();
    await waitFor(
      () => seen.of('p1').length >= before + 3 && seen.of('p2').length >= before + 3,
      'readings again',
      5000,
    );
    expect(seen.statusOf('p1').map((s) => s.online)).toEqual([true, false, true]);
    expect(seen.statusOf('p2').map((s) => s.online)).toEqual([true, false, true]);
    expect(lines.filter((l) => l.includes('lost'))).toEqual([
      `connection to tcp://127.0.0.1:${sim!.port} lost: connection closed by the device`,
    ]);
    expect(lines.filter((l) => / again after /.test(l))).toHaveLength(1);
    expect(adapter.connectionStats()[`tcp://127.0.0.1:${sim!.port}`]).toMatchObject({
      connects: 2,
      connected: true,
    });
  });

  it('takes slow replies within the timeout, and exception replies as a reason to go offline', async () => {
    const [sim] = await simulators(1, 2);
    const { adapter, seen } = adapterFor(
      [1, 2].map((unitId) => ({
        id: `p${unitId}`,
        modbus: { host: '127.0.0.1', port: sim!.port, unitId, profile: 'booster-pump-v1', ...timing },
      })),
    );
    sim!.unit(1).setFault('slow', true, { delayMs: 30 });
    sim!.unit(2).setFault('exception', true, { code: 4 });
    await adapter.start();
    await waitFor(
      () => seen.of('p1').length >= 3 && seen.statusOf('p2').length > 0,
      'slow readings, p2 offline',
    );
    expect(adapter.timing('p1')!.maxDurationMs).toBeGreaterThanOrEqual(4 * 30); // four requests, each slow
    expect(seen.statusOf('p1')).toEqual([expect.objectContaining({ online: true })]);
    expect(seen.statusOf('p2')).toEqual([
      expect.objectContaining({ online: false, reason: 'exception 4 (device failure) (3 polls failed)' }),
    ]);
    expect(seen.of('p2')).toEqual([]);
    sim!.unit(2).setFault('exception', false);
    await waitFor(() => seen.of('p2').length > 0, 'p2 answering again', 3000);
    expect(seen.statusOf('p2').map((s) => s.online)).toEqual([false, true]);
  });

  it("does not blame a device for a stall of the gateway's own event loop", async () => {
    // The pump in a process of its own, answering while this one is busy, as a real device would.
    const port = await freePort();
    const pumps = await startPumpProcess({ ports: [port], unitsPerPort: 1 });
    cleanups.push(async () => void (await pumps.stop()));
    const connection = new ModbusConnection({
      endpoint: { kind: 'tcp', host: '127.0.0.1', port },
      log: silentLogger(),
      backoff: { minMs: 100, maxMs: 1000 },
      connectTimeoutMs: 1000,
    });
    cleanups.push(() => connection.close());
    const job = { unitId: 1, table: 'input', address: 0, count: 13, timeoutMs: 50, lane: 'normal' } as const;
    expect(await connection.read(job)).toHaveLength(13); // connected
    const pending = connection.read(job);
    await new Promise((r) => setImmediate(r)); // the request is on the wire
    const until = Date.now() + 200;
    while (Date.now() < until); // a 200 ms stall: the answer waits in the socket, the timer expires
    expect(await pending).toHaveLength(13);
    expect(connection.stats.timeouts).toBe(0);
  });
});
