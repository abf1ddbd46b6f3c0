import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfigObject } from '../../gateway/config/load.ts';
import { silentLogger } from '../../gateway/log.ts';
import { createPumpSimulator } from '../../simulators/pump.ts';
import { freePort } from '../../test/helpers/ports.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { ModbusAdapter, type ModbusDeviceConfig } from './adapter.ts';
import type { ClientFactory } from './client.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function devices(port: number, count: number, extra: Record<string, unknown> = {}): ModbusDeviceConfig[] {
  const result = parseConfigObject({
    devices: [
      ...Array.from({ length: count }, (_, i) => ({
        id: `p${i}`,
        kind: 'pump',
        protocol: 'modbus',
        modbus: { host: '127.0.0.1', port, unitId: i + 1, profile: 'booster-pump-v1', ...extra },
      })),
      { id: 'door', kind: 'access', protocol: 'mqtt', password: 'x' },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config.devices.filter((d): d is ModbusDeviceConfig => d.protocol === 'modbus');
}

/** A transport whose `open` hangs until aborted, and whose reads answer zeros at once. */
function fakeFactory(
  log: { opens: number; reads: Array<{ unitId: number; at: number }> },
  hang = false,
): ClientFactory {
  return () => {
    let open = false;
    return {
      open: (signal) =>
        hang
          ? new Promise((_resolve, reject) =>
              signal.addEventListener('abort', () => reject(new Error('aborted'))),
            )
          : Promise.resolve().then(() => {
              log.opens++;
              open = true;
            }),
      read: async (unitId, table, _address, count) => {
        log.reads.push({ unitId, at: Date.now() });
        return table === 'coil' || table === 'discrete' ? Array(count).fill(false) : Array(count).fill(0);
      },
      close: () => void (open = false),
      get isOpen() {
        return open;
      },
      onLost: () => {},
    };
  };
}

/** An adapter over the fake transport, with what it did. */
function faked(count: number, extra: Record<string, unknown>, hang = false) {
  const log = { opens: 0, reads: [] as Array<{ unitId: number; at: number }> };
  const adapter = new ModbusAdapter({
    devices: devices(502, count, extra),
    log: silentLogger(),
    clientFactory: fakeFactory(log, hang),
  });
  cleanups.push(() => adapter.stop());
  return { adapter, log };
}

describe('ModbusAdapter', () => {
  it('emits readings from its simulator; start and stop are idempotent; nothing is emitted after stop', async () => {
    const port = await freePort();
    const sim = createPumpSimulator({ port, units: [{ unitId: 1 }] });
    await sim.start();
    cleanups.push(() => sim.stop());
    const adapter = new ModbusAdapter({ devices: devices(port, 1, { pollMs: 50 }), log: silentLogger() });
    let readings = 0;
    adapter.on('reading', () => readings++);
    await adapter.start();
    await adapter.start();
    await waitFor(() => readings >= 2, 'two readings');
    await Promise.all([adapter.stop(), adapter.stop()]);
    const after = readings;
    await new Promise((r) => setTimeout(r, 150));
    expect(readings).toBe(after);
    expect(adapter.timing('p0')!.polls).toBeGreaterThanOrEqual(2);
    expect(adapter.timing('door')).toBeUndefined();
  });

  it('stops at once while a connection attempt hangs', async () => {
    const { adapter } = faked(2, { timeoutMs: 10_000, pollMs: 50 }, true);
    const statuses: unknown[] = [];
    adapter.on('status', (s) => statuses.push(s));
    await adapter.start();
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await adapter.stop();
    expect(performance.now() - started).toBeLessThan(200);
    expect(statuses).toEqual([]);
  });

  it('staggers the devices over their poll interval, sharing one connection for one host:port', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
    const { adapter, log } = faked(4, { pollMs: 400 });
    try {
      const t0 = Date.now();
      await adapter.start();
      await vi.advanceTimersByTimeAsync(350);
      const firsts = [1, 2, 3, 4].map((u) => log.reads.find((r) => r.unitId === u)!.at - t0);
      expect(firsts).toEqual([0, 100, 200, 300]);
      expect(log.opens).toBe(1);
      expect(Object.keys(adapter.connectionStats())).toEqual(['tcp://127.0.0.1:502']);
    } finally {
      await adapter.stop();
      vi.useRealTimers();
    }
  });

  it('keeps polling when a listener of its readings throws', async () => {
    const { adapter } = faked(1, { pollMs: 50 });
    let calls = 0;
    adapter.on('reading', () => {
      calls++;
      throw new Error('a broken consumer');
    });
    await adapter.start();
    await waitFor(() => calls >= 3, 'three readings despite the throwing listener');
    expect(adapter.timing('p0')!.polls).toBeGreaterThanOrEqual(3);
  });

  it('stops when its start signal is aborted', async () => {
    const { adapter, log } = faked(1, { pollMs: 50 });
    const abort = new AbortController();
    await adapter.start(abort.signal);
    await waitFor(() => log.reads.length > 0, 'a read');
    abort.abort();
    await adapter.stop();
    const count = log.reads.length;
    await new Promise((r) => setTimeout(r, 120));
    expect(log.reads.length).toBe(count);
  });
});
