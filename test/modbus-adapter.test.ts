import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusAdapter } from '../adapters/modbus/adapter.ts';
import { BYTE_ORDERS } from '../adapters/modbus/byte-order.ts';
import { registersOf } from '../adapters/modbus/config.ts';
import { planReads } from '../adapters/modbus/plan.ts';
import { boosterPumpV1 } from '../adapters/modbus/profiles/booster-pump-v1.ts';
import { silentLogger } from '../gateway/log.ts';
import { createPumpSimulator, type PumpSimulator, type PumpSimulatorOptions } from '../simulators/pump.ts';
import { modbusDevices, pumpConfig, record } from './helpers/modbus.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(options: Partial<PumpSimulatorOptions>): Promise<PumpSimulator> {
  const sim = createPumpSimulator({ ...options, port: options.port ?? (await freePort()) });
  await sim.start();
  cleanups.push(() => sim.stop());
  return sim;
}

function poll(devices: Parameters<typeof pumpConfig>[0]) {
  const config = pumpConfig(devices);
  const adapter = new ModbusAdapter({ devices: modbusDevices(config), log: silentLogger() });
  const seen = record(adapter);
  cleanups.push(() => adapter.stop());
  return { adapter, seen, config };
}

/** Every type in every byte order, side by side in holding registers, plus bits, coils and inputs. */
const everyOrder: Array<Record<string, unknown>> = BYTE_ORDERS.flatMap(
  (order, i): Array<Record<string, unknown>> => {
    const base = i * 10;
    return [
      { field: `f_${order}`, table: 'holding', address: base, type: 'float32', byteOrder: order },
      { field: `i32_${order}`, table: 'holding', address: base + 2, type: 'int32', byteOrder: order },
      {
        field: `u32_${order}`,
        table: 'holding',
        address: base + 4,
        type: 'uint32',
        byteOrder: order,
        scale: 0.5,
      },
      {
        field: `i16_${order}`,
        table: 'holding',
        address: base + 6,
        type: 'int16',
        byteOrder: order,
        scale: 0.1,
      },
      {
        field: `u16_${order}`,
        table: 'holding',
        address: base + 7,
        type: 'uint16',
        byteOrder: order,
        offset: -40,
      },
      {
        field: `bit_${order}`,
        table: 'holding',
        address: base + 8,
        type: 'bool',
        bit: 3 + i,
        byteOrder: order,
      },
    ];
  },
).concat([
  { field: 'coil_a', table: 'coil', address: 3, type: 'bool' },
  { field: 'input_a', table: 'discrete', address: 9, type: 'bool' },
  { field: 'input_reg', table: 'input', address: 0, type: 'uint16', scale: 0.01 },
]);

describe('the Modbus adapter polling the pump simulator', () => {
  it('decodes every type, scale and byte order the simulator encodes (property over the wire)', async () => {
    const port = await freePort();
    const registers = pumpConfig([{ id: 'x', modbus: { host: '127.0.0.1', port, registers: everyOrder } }]);
    const entries = registersOf(modbusDevices(registers)[0]!.modbus);
    const sim = await serve({ port, unitId: 1, registers: entries });
    const { adapter, seen } = poll([
      {
        id: 'pump-x',
        modbus: { host: '127.0.0.1', port, pollMs: 50, timeoutMs: 500, registers: everyOrder },
      },
    ]);
    await adapter.start();

    const value = (type: string) =>
      type === 'float32'
        ? fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((v) => Math.fround(v))
        : type === 'int32'
          ? fc.integer({ min: -0x80000000, max: 0x7fffffff })
          : type === 'uint32'
            ? fc.integer({ min: 0, max: 0xffffffff }).map((raw) => raw * 0.5)
            : type === 'int16'
              ? fc.integer({ min: -0x8000, max: 0x7fff }).map((raw) => Number((raw * 0.1).toPrecision(12)))
              : type === 'uint16'
                ? fc.integer({ min: 0, max: 0xffff }).map((raw) => raw - 40)
                : fc.boolean();
    const sample = fc.record(
      Object.fromEntries(
        entries.map((e) => [e.field, e.table === 'input' ? fc.constant(12.34) : value(e.type)]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(sample, async (values) => {
        for (const [field, v] of Object.entries(values)) sim.unit(1).pin(field, v as number | boolean);
        const from = seen.readings.length;
        // The first reading may have been taken before the pins: wait for a second one.
        await waitFor(() => seen.readings.length >= from + 2, 'two fresh readings', 5000, 5);
        const reading = seen.readings.at(-1)!;
        expect(reading.quality).toBeUndefined();
        for (const [field, v] of Object.entries(values)) {
          if (typeof v === 'number' && field.startsWith('f_'))
            expect(Math.fround(reading.values[field] as number)).toBe(v + 0); // -0 is read back as 0
          else expect(reading.values[field]).toEqual(v);
        }
      }),
      { numRuns: 15 },
    );
  });

  it('reads each unit in the fewest requests: counted at the simulator, per poll', async () => {
    const port = await freePort();
    const wide = [
      ...Array.from({ length: 130 }, (_, i) => ({ field: `h${i}`, table: 'holding', address: i })),
      { field: 'gap_a', table: 'input', address: 200 },
      { field: 'gap_b', table: 'input', address: 202, type: 'float32' },
    ];
    const config = pumpConfig([{ id: 'w', modbus: { host: '127.0.0.1', port, registers: wide } }]);
    const sim = await serve({
      port,
      units: [
        { unitId: 1 },
        { unitId: 2, profile: 'drainage-pump-v1' },
        { unitId: 3, registers: registersOf(modbusDevices(config)[0]!.modbus) },
      ],
    });
    const common = { host: '127.0.0.1', port, pollMs: 60, timeoutMs: 500 };
    const { adapter, seen } = poll([
      { id: 'booster', modbus: { ...common, unitId: 1, profile: 'booster-pump-v1' } },
      { id: 'drainage', modbus: { ...common, unitId: 2, profile: 'drainage-pump-v1' } },
      { id: 'wide', modbus: { ...common, unitId: 3, registers: wide } },
    ]);
    const unitOf: Record<string, number> = { booster: 1, drainage: 2, wide: 3 };
    // The unit's request count at each reading: a poll's requests all come before its reading.
    const counted: Record<string, number[]> = { booster: [], drainage: [], wide: [] };
    adapter.on('reading', (r) => counted[r.deviceId]!.push(sim.unit(unitOf[r.deviceId]).requests.total));
    await adapter.start();
    await waitFor(
      () => ['booster', 'drainage', 'wide'].every((id) => seen.of(id).length >= 6),
      '6 polls each',
    );
    await adapter.stop();
    // booster: holding, input, coil, discrete; drainage: holding, coil, discrete;
    // wide: 130 holding registers need 2 requests (125 at most), the input gap 2 more.
    const perPoll = (id: string) => counted[id]!.slice(1).map((n, i) => n - counted[id]![i]!);
    expect(perPoll('booster')).toEqual(Array(counted.booster!.length - 1).fill(4));
    expect(perPoll('drainage')).toEqual(Array(counted.drainage!.length - 1).fill(3));
    expect(perPoll('wide')).toEqual(Array(counted.wide!.length - 1).fill(4));
    expect(counted.booster![0]).toBe(4); // the first poll too
    expect(planReads(registersOf(modbusDevices(config)[0]!.modbus))).toHaveLength(4);
  });

  it('reports bad values and refused requests as missing, never as zero, and keeps polling', async () => {
    const port = await freePort();
    const sim = await serve({ port, unitId: 1 });
    const withExtra = [...boosterPumpV1.registers, { field: 'vendor_code', table: 'holding', address: 50 }];
    const { adapter, seen } = poll([
      { id: 'p', modbus: { host: '127.0.0.1', port, pollMs: 50, timeoutMs: 500, registers: withExtra } },
    ]);
    sim.unit(1).pin('outlet_pressure_bar', Number.NaN);
    sim.unit(1).pin('flow_m3h', Number.POSITIVE_INFINITY);
    sim.unit(1).poke('input', 8, [0x7fff]); // motor_temp_c 3276.7 °C: outside its -40…200 range
    await adapter.start();
    await waitFor(() => seen.of('p').length >= 3, 'three readings');
    const reading = seen.of('p').at(-1)!;
    expect(reading.quality).toEqual({
      outlet_pressure_bar: 'missing',
      flow_m3h: 'missing',
      motor_temp_c: 'missing',
      vendor_code: 'missing', // holding 50 is not served: its request gets exception 2
    });
    expect(reading.values.pressure_setpoint_bar).toBe(4); // holding 0, a request of its own
    expect(Object.keys(reading.values)).not.toContain('outlet_pressure_bar');
    expect(reading.values.inlet_pressure_bar).toBeGreaterThan(0);
    expect(seen.statusOf('p')).toEqual([expect.objectContaining({ online: true })]);
  });
});
