import M from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../test/helpers/ports.ts';
import { createPumpSimulator, type PumpSimulator } from './pump.ts';

const ModbusRTU = M.default;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A frozen clock: the pumps' values hold still while a test reads them. */
const frozen = { now: () => Date.UTC(2026, 5, 1, 8) };

async function simulator(
  options: Partial<Parameters<typeof createPumpSimulator>[0]> = {},
): Promise<PumpSimulator> {
  const sim = createPumpSimulator({
    port: await freePort(),
    units: [{ unitId: 1 }, { unitId: 2, profile: 'drainage-pump-v1' }],
    clock: frozen,
    ...options,
  });
  await sim.start();
  cleanups.push(() => sim.stop());
  return sim;
}

/** An independent Modbus client (modbus-serial's own), not the gateway's. */
async function client(port: number, unitId = 1, timeoutMs = 300) {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unitId);
  c.setTimeout(timeoutMs);
  cleanups.push(() => new Promise<void>((r) => c.close(() => r())));
  return c;
}

async function exceptionOf(p: Promise<unknown>): Promise<number | string> {
  try {
    await p;
    return 'answered';
  } catch (err) {
    const e = err as { modbusCode?: number; errno?: string };
    return e.modbusCode ?? e.errno ?? String(err);
  }
}

describe('pump simulator (Modbus TCP)', () => {
  it('serves each unit its own map and counts requests per unit and table', async () => {
    const sim = await simulator();
    const c = await client(sim.port);
    const input = await c.readInputRegisters(0, 13);
    expect(input.data).toHaveLength(13);
    expect(input.buffer.readFloatBE(0)).toBeCloseTo(sim.unit(1).values().outlet_pressure_bar as number, 5);
    await c.readCoils(0, 1);
    c.setID(2);
    const level = await c.readHoldingRegisters(0, 2);
    // drainage-pump-v1 sends its floats word-swapped (CDAB)
    const bytes = Buffer.from([...level.buffer.subarray(2, 4), ...level.buffer.subarray(0, 2)]);
    expect(bytes.readFloatBE(0)).toBeCloseTo(sim.unit(2).values().tank_level_pct as number, 4);
    expect(sim.unit(1).requests).toEqual({
      total: 2,
      byTable: { holding: 0, input: 1, coil: 1, discrete: 0 },
    });
    expect(sim.unit(2).requests.total).toBe(1);
    expect(sim.requests.total).toBe(3);
    sim.resetCounters();
    expect(sim.requests.total).toBe(0);
  });

  it('answers an unmapped address with exception 2 and an unknown unit with exception 11', async () => {
    const sim = await simulator();
    const c = await client(sim.port);
    expect(await exceptionOf(c.readInputRegisters(12, 2))).toBe(2);
    expect(await exceptionOf(c.readDiscreteInputs(0, 5))).toBe(2);
    c.setID(42);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBe(11);
  });

  it('switches link faults per unit: exception replies, slow replies, a dead unit', async () => {
    const sim = await simulator();
    const c = await client(sim.port, 1, 400);
    sim.unit(1).setFault('exception', true);
    expect(await exceptionOf(c.readInputRegisters(0, 2))).toBe(4);
    sim.unit(1).setFault('exception', true, { code: 6 });
    expect(await exceptionOf(c.readCoils(0, 1))).toBe(6);
    sim.unit(1).setFault('exception', false);
    sim.unit(1).setFault('slow', true, { delayMs: 150 });
    const started = performance.now();
    await c.readInputRegisters(0, 13);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    sim.unit(1).setFault('slow', false);
    sim.unit(1).setFault('dead', true);
    expect(await exceptionOf(c.readInputRegisters(0, 2))).toBe('ETIMEDOUT');
    expect(sim.unit(1).activeFaults()).toEqual(['dead']);
    c.setID(2);
    expect(await exceptionOf(c.readHoldingRegisters(0, 2))).toBe('answered');
  });

  it('serves pinned values (NaN included) and poked raw registers', async () => {
    const sim = await simulator();
    const c = await client(sim.port);
    sim.unit(1).pin('outlet_pressure_bar', Number.NaN);
    sim.unit(1).pin('frequency_hz', 49.3);
    sim.unit(1).poke('input', 6, [0xffff]);
    const words = await c.readInputRegisters(0, 8);
    expect(Number.isNaN(words.buffer.readFloatBE(0))).toBe(true);
    expect(words.data[7]).toBe(493);
    expect(words.data[6]).toBe(0xffff);
  });

  it('refuses a port already in use, and restarts on its port keeping its pumps', async () => {
    const sim = await simulator();
    const clash = createPumpSimulator({ port: sim.port });
    await expect(clash.start()).rejects.toThrow(/cannot listen/);
    const before = sim.unit(1).values();
    await sim.stop();
    await sim.stop();
    expect(sim.running).toBe(false);
    await sim.start();
    expect(sim.running).toBe(true);
    const c = await client(sim.port);
    expect((await c.readInputRegisters(0, 2)).buffer.readFloatBE(0)).toBeCloseTo(
      before.outlet_pressure_bar as number,
      5,
    );
  });
});
