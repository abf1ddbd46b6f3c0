import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusAdapter } from '../adapters/modbus/adapter.ts';
import { silentLogger } from '../gateway/log.ts';
import { createPumpSimulator, type PumpSimulator, type PumpUnitSpec } from '../simulators/pump.ts';
import { createPumpRtuSimulator, type PumpRtuSimulator } from '../simulators/pump-rtu.ts';
import { binaryPath } from './helpers/debian.ts';
import { manualClock, mbpollValues, modbusDevices, pumpConfig, record, socatPair } from './helpers/modbus.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

const T0 = Date.UTC(2026, 5, 1, 18, 50);
const BAUD = 38_400;
const units: PumpUnitSpec[] = [{ unitId: 1 }, { unitId: 2, profile: 'drainage-pump-v1' }];
let dir: string;
let pty: Awaited<ReturnType<typeof socatPair>>;
let rtu: PumpRtuSimulator;
let tcp: PumpSimulator;
const clock = manualClock(T0);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-rtu-'));
  pty = await socatPair(dir);
  // The same pumps twice (same seed, same clock): one on the serial line, one over TCP.
  rtu = createPumpRtuSimulator({ path: pty.a, baudRate: BAUD, units, seed: 21, clock });
  tcp = createPumpSimulator({ port: await freePort(), units, seed: 21, clock });
  await rtu.start();
  await tcp.start();
  clock.set(T0 + 10 * 60_000); // into the evening peak, then time stands still
});

afterAll(async () => {
  await rtu?.stop();
  await tcp?.stop();
  await pty?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Modbus RTU over a socat pseudo-terminal pair', () => {
  it('answers mbpoll in RTU mode with the registers it serves', async () => {
    const args = [
      '-m',
      'rtu',
      '-b',
      String(BAUD),
      '-P',
      'none',
      '-a',
      '1',
      '-t',
      '3',
      '-0',
      '-r',
      '0',
      '-c',
      '13',
    ];
    const { stdout } = await promisify(execFile)(binaryPath('mbpoll'), [...args, '-1', '-o', '2', pty.b], {
      timeout: 10_000,
    });
    rtu.unit(1).refresh(clock.now());
    expect(mbpollValues(stdout)).toEqual(rtu.unit(1).read('input', 0, 13));
  });

  it('reads through the adapter the same values over RTU as over TCP, two units sharing the line', async () => {
    const common = { pollMs: 100, timeoutMs: 1000 };
    const serial = { path: pty.b, baudRate: BAUD };
    const config = pumpConfig([
      { id: 'rtu-booster', modbus: { serial, unitId: 1, profile: 'booster-pump-v1', ...common } },
      { id: 'rtu-drainage', modbus: { serial, unitId: 2, profile: 'drainage-pump-v1', ...common } },
      {
        id: 'tcp-booster',
        modbus: { host: '127.0.0.1', port: tcp.port, unitId: 1, profile: 'booster-pump-v1', ...common },
      },
      {
        id: 'tcp-drainage',
        modbus: { host: '127.0.0.1', port: tcp.port, unitId: 2, profile: 'drainage-pump-v1', ...common },
      },
    ]);
    const adapter = new ModbusAdapter({ devices: modbusDevices(config), log: silentLogger() });
    const seen = record(adapter);
    try {
      await adapter.start();
      const ids = ['rtu-booster', 'rtu-drainage', 'tcp-booster', 'tcp-drainage'];
      await waitFor(() => ids.every((id) => seen.of(id).length >= 3), 'three readings from each', 15_000);
    } finally {
      await adapter.stop();
    }
    const last = (id: string) => seen.of(id).at(-1)!;
    expect(last('rtu-booster').quality).toBeUndefined();
    expect(last('rtu-booster').values).toEqual(last('tcp-booster').values);
    expect(last('rtu-drainage').values).toEqual(last('tcp-drainage').values);
    expect(last('rtu-booster').values.running).toBe(true);
    expect(Object.keys(last('rtu-drainage').values)).toContain('tank_level_pct');
    expect(adapter.connectionStats()[`rtu://${pty.b}`]).toMatchObject({ connects: 1 });
  });
});
