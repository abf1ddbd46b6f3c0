import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPumpSimulator, type PumpSimulator } from '../simulators/pump.ts';
import { binaryPath } from './helpers/debian.ts';
import { manualClock, mbpollValues } from './helpers/modbus.ts';
import { freePort } from './helpers/ports.ts';

const run = promisify(execFile);
const clock = manualClock(Date.UTC(2026, 5, 1, 7, 50));
let sim: PumpSimulator;

beforeAll(async () => {
  sim = createPumpSimulator({
    port: await freePort(),
    units: [{ unitId: 1 }, { unitId: 7, profile: 'drainage-pump-v1' }],
    seed: 11,
    clock,
  });
  await sim.start();
  // Ten minutes into the morning peak, then time stands still so both sides see the same values.
  clock.set(Date.UTC(2026, 5, 1, 8));
});
afterAll(async () => {
  await sim?.stop();
});

/** `mbpoll` (Debian) reading once, 0-based addresses; its output parsed to numbers. */
async function mbpoll(unit: number, type: string, address: number, count: number, ...extra: string[]) {
  const args = [
    '-m',
    'tcp',
    '-p',
    String(sim.port),
    '-a',
    String(unit),
    '-t',
    type,
    '-0',
    '-r',
    String(address),
  ];
  args.push('-c', String(count), '-1', '-o', '2', ...extra, '127.0.0.1');
  const { stdout } = await run(binaryPath('mbpoll'), args, { timeout: 10_000 });
  return mbpollValues(stdout);
}

describe('mbpoll reads the pump simulator over Modbus TCP', () => {
  it('gets the raw input registers the simulator serves, running at the morning peak', async () => {
    const raw = await mbpoll(1, '3', 0, 13);
    sim.unit(1).refresh(clock.now());
    expect(raw).toEqual(sim.unit(1).read('input', 0, 13));
    const values = sim.unit(1).values();
    expect(values.running).toBe(true);
    expect(raw[7]! / 10).toBeCloseTo(values.frequency_hz as number, 5);
    expect(raw[6]! / 100).toBeCloseTo(values.motor_current_a as number, 5);
    expect(raw[9]! & 1).toBe(1); // status word bit 0: running
  });

  it('gets the big-endian floats (ABCD) the simulator reports', async () => {
    const [outlet, inlet, flow] = await mbpoll(1, '3:float', 0, 3, '-B');
    const values = sim.unit(1).values();
    expect(outlet).toBeCloseTo(values.outlet_pressure_bar as number, 4);
    expect(inlet).toBeCloseTo(values.inlet_pressure_bar as number, 4);
    expect(flow).toBeCloseTo(values.flow_m3h as number, 3);
    expect(outlet).toBeGreaterThan(3.5);
  });

  it('gets the word-swapped (CDAB) floats and 32-bit integers of the drainage profile', async () => {
    const [level, flow] = await mbpoll(7, '4:float', 0, 2);
    const [energyRaw] = await mbpoll(7, '4:int', 6, 1);
    const values = sim.unit(7).values();
    expect(level).toBeCloseTo(values.tank_level_pct as number, 3);
    expect(flow).toBeCloseTo(values.flow_m3h as number, 3);
    expect(energyRaw! / 10).toBeCloseTo(values.energy_kwh as number, 5);
  });

  it('gets the coils and discrete inputs', async () => {
    expect(await mbpoll(1, '0', 0, 1)).toEqual([1]); // remote_enabled
    expect(await mbpoll(1, '1', 0, 1)).toEqual([0]); // low_suction
    const v = sim.unit(7).values();
    expect(await mbpoll(7, '1', 0, 2)).toEqual([v.running ? 1 : 0, v.high_level_alarm ? 1 : 0]);
  });

  it('sees an exception reply and a dead unit as mbpoll reports them', async () => {
    sim.unit(1).setFault('exception', true, { code: 4 });
    await expect(mbpoll(1, '3', 0, 2)).rejects.toThrow(/Slave device or server failure|failed/i);
    sim.unit(1).setFault('exception', false);
    sim.unit(1).setFault('dead', true);
    await expect(mbpoll(1, '3', 0, 2, '-o', '0.3')).rejects.toThrow(/timed out/i);
    sim.unit(1).setFault('dead', false);
    expect(await mbpoll(1, '3', 0, 2)).toHaveLength(2);
  });
});
