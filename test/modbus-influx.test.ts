import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import type { Gateway } from '../gateway/supervisor.ts';
import { createPumpFleet, type PumpFleet } from '../simulators/pump-fleet.ts';
import { startTestGateway } from './helpers/gateway.ts';
import { startInfluxd, type InfluxdHandle } from './helpers/influxd.ts';
import { pumpConfig } from './helpers/modbus.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

const DB = 'pumps';
let influxd: InfluxdHandle;
let fleet: PumpFleet;
let gateway: Gateway;

beforeAll(async () => {
  influxd = await startInfluxd();
  const [portA, portB] = [await freePort(), await freePort()];
  const poll = { pollMs: 100, timeoutMs: 300, offlineAfterFailures: 2, backoffMaxMs: 500 };
  const config = pumpConfig(
    [
      {
        id: 'booster-b1-1',
        labels: { building: 'b1', zone: 'basement' },
        modbus: { host: '127.0.0.1', port: portA, unitId: 1, profile: 'booster-pump-v1', ...poll },
      },
      {
        id: 'booster-b1-2',
        labels: { building: 'b1', zone: 'basement' },
        modbus: { host: '127.0.0.1', port: portA, unitId: 2, profile: 'booster-pump-v1', ...poll },
      },
      {
        id: 'sump-garage',
        labels: { building: 'garage', zone: 'sump' },
        modbus: { host: '127.0.0.1', port: portB, unitId: 1, profile: 'drainage-pump-v1', ...poll },
      },
    ],
    { influx: { url: influxd.url, database: DB, flushMs: 100 }, http: { port: 0 }, mqtt: { port: 0 } },
  );
  fleet = createPumpFleet({ config, log: silentLogger(), seed: 4 });
  await fleet.start();
  gateway = await startTestGateway(config);
});

afterAll(async () => {
  await gateway?.stop();
  await fleet?.stop();
  await influxd?.dispose();
});

describe('pump readings end to end: simulator → Modbus adapter → gateway → InfluxDB', () => {
  it('lands pump readings with the DESIGN.md schema: measurement pump, site/device/label tags, float fields', async () => {
    await waitFor(
      () =>
        ['booster-b1-1', 'booster-b1-2', 'sump-garage'].every(
          (id) => gateway.registry.get(id)?.online === true,
        ),
      'all pumps online',
    );
    await new Promise((r) => setTimeout(r, 500));
    await gateway.store.flush();
    expect(await influxd.countPoints(DB, 'pump', 'motor_current_a')).toBeGreaterThanOrEqual(9);

    const tags = await influxd.query('SHOW TAG KEYS FROM pump', DB);
    expect(tags.results[0]?.series?.[0]?.values?.map((v) => v[0])).toEqual([
      'building',
      'device',
      'site',
      'zone',
    ]);
    const fields = await influxd.query('SHOW FIELD KEYS FROM pump', DB);
    const types = Object.fromEntries(fields.results[0]!.series![0]!.values!.map((v) => [v[0], v[1]]));
    for (const f of [
      'outlet_pressure_bar',
      'inlet_pressure_bar',
      'flow_m3h',
      'motor_current_a',
      'frequency_hz',
      'fault_code',
      'tank_level_pct',
    ])
      expect(types[f], f).toBe('float');
    expect(types.running).toBe('boolean');

    const last = await influxd.query(
      `SELECT last("tank_level_pct") FROM pump WHERE device = 'sump-garage' AND site = 'pump-site' AND building = 'garage'`,
      DB,
    );
    const level = last.results[0]?.series?.[0]?.values?.[0]?.[1] as number;
    expect(level).toBeCloseTo(fleet.device('sump-garage')!.unit.values().tank_level_pct as number, 0);
  });

  it('stores nothing, not a zero, for a value the pump cannot give, and marks the device offline when it goes silent', async () => {
    const unit = fleet.device('booster-b1-2')!.unit;
    unit.pin('outlet_pressure_bar', Number.NaN);
    const since = Date.now();
    await waitFor(
      () => gateway.registry.get('booster-b1-2')?.values.outlet_pressure_bar?.quality === 'missing',
      'outlet pressure missing in the registry',
    );
    await new Promise((r) => setTimeout(r, 400));
    await gateway.store.flush();
    const window = `device = 'booster-b1-2' AND time > ${since}ms`;
    const answer = await influxd.query(
      `SELECT count("outlet_pressure_bar"), count("inlet_pressure_bar"), min("outlet_pressure_bar") FROM pump WHERE ${window}`,
      DB,
    );
    const [, outletCount, inletCount, outletMin] = (answer.results[0]?.series?.[0]?.values?.[0] ??
      []) as number[];
    expect(inletCount).toBeGreaterThanOrEqual(3);
    expect(outletCount ?? 0).toBeLessThanOrEqual(1); // at most the one reading taken before the pin
    if (outletCount) expect(outletMin).toBeGreaterThan(1);
    expect(gateway.registry.get('booster-b1-2')?.values.outlet_pressure_bar?.value).toBeNull();
    unit.unpin('outlet_pressure_bar');

    unit.setFault('dead', true);
    await waitFor(() => gateway.registry.get('booster-b1-2')?.online === false, 'booster-b1-2 offline');
    expect(gateway.registry.get('booster-b1-2')?.reason).toBe('no answer within 300 ms (2 polls failed)');
    expect(gateway.registry.get('booster-b1-1')?.online).toBe(true);
    unit.setFault('dead', false);
    await waitFor(() => gateway.registry.get('booster-b1-2')?.online === true, 'booster-b1-2 back', 5000);
  });
});
