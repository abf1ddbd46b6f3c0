import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import M from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../gateway/config/load.ts';
import type { Config } from '../gateway/config/schema.ts';
import { createLogger, silentLogger } from '../gateway/log.ts';
import { freePort } from '../test/helpers/ports.ts';
import { createPumpFleet } from './pump-fleet.ts';

const ModbusRTU = M.default;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function config(portA: number, portB: number): Config {
  const pump = (id: string, modbus: Record<string, unknown>) => ({
    id,
    kind: 'pump',
    protocol: 'modbus',
    modbus,
  });
  const result = parseConfigObject({
    devices: [
      pump('booster-1', { host: '127.0.0.1', port: portA, unitId: 1, profile: 'booster-pump-v1' }),
      pump('sump-1', { host: '127.0.0.1', port: portA, unitId: 2, profile: 'drainage-pump-v1' }),
      pump('custom-1', {
        host: '127.0.0.1',
        port: portB,
        unitId: 5,
        registers: [{ field: 'frequency_hz', table: 'holding', address: 100, type: 'uint16', scale: 0.1 }],
      }),
      pump('rtu-1', { serial: { path: '/dev/ttyUSB9' }, unitId: 3, profile: 'booster-pump-v1' }),
      { id: 'door-1', kind: 'access', protocol: 'mqtt', password: 'x' },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

describe('pump fleet', () => {
  it('serves every Modbus TCP device of a config on its host:port and unit id', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const fleet = createPumpFleet({ config: config(portA, portB), log: silentLogger(), seed: 3 });
    cleanups.push(() => fleet.stop());
    await fleet.start();
    await fleet.start();
    expect(fleet.simulators().map((s) => s.port)).toEqual([portA, portB]);
    expect(fleet.devices().map((d) => `${d.id}@${d.simulator.port}/${d.unitId}`)).toEqual([
      `booster-1@${portA}/1`,
      `sump-1@${portA}/2`,
      `custom-1@${portB}/5`,
    ]);
    expect(fleet.device('rtu-1')).toBeUndefined();

    const client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port: portB });
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    client.setID(5);
    client.setTimeout(300);
    const raw = (await client.readHoldingRegisters(100, 1)).data[0]!;
    expect(raw / 10).toBeCloseTo(fleet.device('custom-1')!.unit.values().frequency_hz as number, 1);

    fleet.device('custom-1')!.setFault('exception', true, { code: 3 });
    await expect(client.readHoldingRegisters(100, 1)).rejects.toMatchObject({ modbusCode: 3 });
    expect(fleet.device('sump-1')!.unit.activeFaults()).toEqual([]);
  });

  it('serves what it can when a port is taken, saying which one, and never listens off loopback', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(portB, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()).msg as string);
        done();
      },
    });
    const base = config(portA, portB);
    const lan = {
      ...base,
      devices: [
        ...base.devices,
        {
          ...base.devices[0]!,
          id: 'far-away',
          modbus: { ...(base.devices[0] as { modbus: object }).modbus, host: '192.0.2.7' },
        },
      ],
    } as Config;
    const fleet = createPumpFleet({ config: lan, log: createLogger({ destination }) });
    cleanups.push(() => fleet.stop());
    await fleet.start();
    expect(fleet.simulators().map((s) => [s.port, s.running])).toEqual([
      [portA, true],
      [portB, false],
    ]);
    expect(fleet.device('far-away')).toBeUndefined();
    expect(lines).toEqual(
      expect.arrayContaining([
        'far-away: not simulated (only pumps on 127.0.0.1 are)',
        expect.stringMatching(new RegExp(`pump simulator not started: .*127.0.0.1:${portB}`)),
        'simulating Modbus devices on 1 of 2 ports',
      ]),
    );
  });
});
