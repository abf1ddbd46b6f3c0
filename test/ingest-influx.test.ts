import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import type { Gateway } from '../gateway/supervisor.ts';
import { MqttDeviceClient } from '../simulators/mqtt-device.ts';
import { manyDevicesConfig } from './fixtures/configs.ts';
import { startTestGateway } from './helpers/gateway.ts';
import { startInfluxd, type InfluxdHandle } from './helpers/influxd.ts';
import { waitFor } from './helpers/wait.ts';

let influxd: InfluxdHandle;
let gateway: Gateway;
const DB = 'ingest';
const DEVICES = 100;
const PER_DEVICE = 100;

async function accepted(): Promise<number> {
  const metric = await gateway.metrics.messages.get();
  return metric.values.filter((v) => v.labels.type === 'telemetry').reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  influxd = await startInfluxd();
  const config = manyDevicesConfig(
    DEVICES,
    `influx: { url: "${influxd.url}", database: ${DB}, flushMs: 100 }`,
  );
  gateway = await startTestGateway(config);
});

afterAll(async () => {
  await gateway?.stop();
  await influxd?.dispose();
});

describe('MQTT to InfluxDB through the whole gateway', () => {
  it('lands 10,000 telemetry messages from 100 simulated devices, counted exactly, beside bad input', async () => {
    const clients = gateway.config.devices.map(
      (d) =>
        new MqttDeviceClient({
          brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`,
          deviceId: d.id,
          password: `pw-${d.id.slice(4)}`,
          site: d.site,
          kind: d.kind,
          log: silentLogger(),
        }),
    );
    for (const c of clients) c.start();
    await Promise.all(clients.map((c) => c.waitConnected(10_000)));
    expect(clients.every((c) => c.connected)).toBe(true);

    // Bad input of every kind, from its own connections, while the good traffic flows.
    const badLift = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, {
      username: 'dev-1',
      password: 'pw-1',
      reconnectPeriod: 0,
    });
    const badTopic = 'load-site/elevator';
    const base = Date.now() - 60_000;
    for (let i = 0; i < PER_DEVICE; i++) {
      clients.forEach((client, d) => {
        const kind = gateway.config.devices[d]!.kind;
        const values: Record<string, number | boolean> =
          kind === 'access'
            ? { door_open: i % 2 === 0, locked: i % 2 === 1 }
            : { floor: i % 20, load_kg: 70 * (i % 10) };
        client.publishTelemetry({ ts: base + i * 10, values });
      });
      if (i % 20 === 0) {
        badLift.publish(`cg/${badTopic}/dev-1/telemetry`, 'not json');
        badLift.publish(`cg/${badTopic}/dev-1/telemetry`, JSON.stringify({ values: { floor: 'x' } }));
        badLift.publish(`cg/${badTopic}/dev-1/nonsense`, JSON.stringify({ values: { floor: 1 } }));
      }
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    await waitFor(async () => (await accepted()) >= DEVICES * PER_DEVICE, 'all telemetry accepted', 30_000);
    await gateway.store.flush();
    const landed =
      (await influxd.countPoints(DB, 'access', 'locked')) +
      (await influxd.countPoints(DB, 'elevator', 'floor'));
    expect(landed).toBe(DEVICES * PER_DEVICE);
    expect(await accepted()).toBe(DEVICES * PER_DEVICE);

    const reasons = gateway.deadLetters.list().map((l) => l.reason);
    expect(reasons.filter((r) => r === 'not_json')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'invalid_payload')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'bad_topic')).toHaveLength(5);
    const rejects = await gateway.metrics.rejects.get();
    expect(rejects.values.find((v) => v.labels.reason === 'not_json')?.value).toBe(5);

    // Numbers are floats, tags carry site, device and labels.
    const answer = await influxd.query(`SHOW TAG KEYS FROM elevator`, DB);
    const tagKeys = answer.results[0]?.series?.[0]?.values?.map((v) => v[0]);
    expect(tagKeys).toEqual(expect.arrayContaining(['site', 'device', 'building']));
    const fields = await influxd.query(`SHOW FIELD KEYS FROM elevator`, DB);
    expect(Object.fromEntries(fields.results[0]!.series![0]!.values!.map((v) => [v[0], v[1]]))).toMatchObject(
      { floor: 'float', load_kg: 'float' },
    );

    // The registry holds the latest value of every device.
    const lift = gateway.registry.get('dev-3')!;
    expect(lift.online).toBe(true);
    expect(lift.values.floor?.value).toBe((PER_DEVICE - 1) % 20);
    await badLift.endAsync();
    await Promise.all(clients.map((c) => c.stop()));
  });

  it('writes events with their kind and type as tags, person ids pseudonymised', async () => {
    const door = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, {
      username: 'dev-0',
      password: 'pw-0',
      reconnectPeriod: 0,
    });
    await door.publishAsync(
      'cg/load-site/access/dev-0/event',
      JSON.stringify({ type: 'access.granted', credential: 'card', person: 'card-0042' }),
      { qos: 1 },
    );
    await door.endAsync();
    await gateway.store.flush();
    const answer = await influxd.query(
      `SELECT "person", "count" FROM events WHERE device = 'dev-0' AND "type" = 'access.granted'`,
      DB,
    );
    const row = answer.results[0]?.series?.[0]?.values?.[0];
    expect(row).toBeDefined();
    expect(row![1]).toMatch(/^p-[0-9a-f]{16}$/);
    expect(JSON.stringify(answer)).not.toContain('card-0042');
  });
});
