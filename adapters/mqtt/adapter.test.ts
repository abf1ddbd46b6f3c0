import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../gateway/bus.ts';
import { silentLogger } from '../../gateway/log.ts';
import type { DeviceEvent, Reading, Status } from '../../gateway/types.ts';
import { parseOrThrow, SMALL_CONFIG_YAML } from '../../test/fixtures/configs.ts';
import { MqttAdapter } from './adapter.ts';

const config = parseOrThrow(SMALL_CONFIG_YAML);
let adapter: MqttAdapter;
const readings: Reading[] = [];
const events: DeviceEvent[] = [];
const statuses: Status[] = [];
const rejected: DeadLetter[] = [];
const clients: MqttClient[] = [];

async function connect(
  username?: string,
  password?: string,
  extra: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${adapter.broker.port}`, {
    username,
    password,
    reconnectPeriod: 0,
    connectTimeout: 3000,
    ...extra,
  });
  clients.push(client);
  return client;
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  adapter = new MqttAdapter({
    config: config.mqtt,
    devices: config.devices,
    log: silentLogger(),
    clock: { now: () => Date.now() },
  });
  adapter.on('reading', (r) => readings.push(r));
  adapter.on('event', (e) => events.push(e));
  adapter.on('status', (s) => statuses.push(s));
  adapter.on('rejected', (l) => rejected.push(l));
  await adapter.start();
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await adapter.stop();
});

describe('MQTT adapter with the embedded broker', () => {
  it('takes telemetry, events and status from an authenticated device', async () => {
    const door = await connect('door-1', 'door-1-secret');
    await door.publishAsync(
      'cg/garden-court/access/door-1/telemetry',
      JSON.stringify({ values: { door_open: true, locked: false } }),
      { qos: 1 },
    );
    await door.publishAsync('cg/garden-court/access/door-1/event', JSON.stringify({ type: 'door.forced' }), {
      qos: 1,
    });
    await door.publishAsync('cg/garden-court/access/door-1/status', JSON.stringify({ online: true }), {
      qos: 1,
      retain: true,
    });
    expect(readings.at(-1)).toMatchObject({ deviceId: 'door-1', values: { door_open: true, locked: false } });
    expect(events.at(-1)).toMatchObject({ deviceId: 'door-1', type: 'door.forced' });
    expect(statuses.at(-1)).toMatchObject({ deviceId: 'door-1', online: true });
  });

  it('refuses a wrong password and an anonymous client', async () => {
    await expect(connect('door-1', 'wrong')).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(connect()).rejects.toThrow(/Not authorized/i);
    await expect(connect('nobody', 'x')).rejects.toThrow(/Bad username or password/i);
  });

  it('disconnects a device publishing as another device, and records why', async () => {
    const door = await connect('door-2', 'door-2-secret');
    const before = readings.length;
    const closed = new Promise<void>((resolve) => door.once('close', () => resolve()));
    door.publish('cg/garden-court/access/door-1/telemetry', JSON.stringify({ values: { door_open: true } }));
    await closed;
    expect(readings.length).toBe(before);
    expect(rejected.at(-1)).toMatchObject({ reason: 'wrong_sender', deviceId: 'door-2' });
  });

  it('disconnects a device publishing outside its prefix', async () => {
    const door = await connect('door-2', 'door-2-secret');
    const closed = new Promise<void>((resolve) => door.once('close', () => resolve()));
    door.publish('somewhere/else', 'x');
    await closed;
    expect(rejected.at(-1)).toMatchObject({ reason: 'wrong_sender', topic: 'somewhere/else' });
  });

  it('lets a device subscribe only to its own commands', async () => {
    const lift = await connect('lift-1', 'lift-1-secret');
    const own = await lift.subscribeAsync('cg/garden-court/elevator/lift-1/cmd/#');
    expect(own[0]?.qos).toBe(0);
    const other = await lift.subscribeAsync('cg/garden-court/elevator/lift-2/cmd/#').catch((e: Error) => e);
    expect(other instanceof Error || other[0]?.qos === 128).toBe(true);
  });

  it('rejects bad payloads with a reason and keeps the connection', async () => {
    const lift = await connect('lift-1', 'lift-1-secret');
    const base = 'cg/garden-court/elevator/lift-1';
    const cases: Array<[string, string | Buffer, string]> = [
      [`${base}/telemetry`, 'not json at all', 'not_json'],
      [`${base}/telemetry`, JSON.stringify({ values: { floor: 'three' } }), 'invalid_payload'],
      [`${base}/telemetry`, JSON.stringify({ ts: 1 }), 'invalid_payload'],
      [`${base}/telemetry`, Buffer.alloc(5000, 0x7b), 'oversize'],
      [`${base}/weather`, JSON.stringify({ values: { floor: 1 } }), 'bad_topic'],
    ];
    for (const [topic, payload, reason] of cases) {
      const before = rejected.length;
      await lift.publishAsync(topic, payload, { qos: 1 });
      await until(() => rejected.length > before, reason);
      expect(rejected.at(-1)?.reason).toBe(reason);
    }
    expect(lift.connected).toBe(true);
    await lift.publishAsync(`${base}/telemetry`, JSON.stringify({ values: { floor: 4 } }), { qos: 1 });
    expect(readings.at(-1)).toMatchObject({ deviceId: 'lift-1', values: { floor: 4 } });
  });

  it('a vendor bridge publishes for many lifts; an unknown lift is rejected as unknown', async () => {
    const bridge = await connect('lift-bridge', 'bridge-secret');
    await bridge.publishAsync(
      'cg/garden-court/elevator/lift-2/telemetry',
      JSON.stringify({ values: { floor: 9 } }),
      { qos: 1 },
    );
    expect(readings.at(-1)).toMatchObject({ deviceId: 'lift-2', values: { floor: 9 } });
    await bridge.publishAsync(
      'cg/garden-court/elevator/lift-99/telemetry',
      JSON.stringify({ values: { floor: 1 } }),
      { qos: 1 },
    );
    expect(rejected.at(-1)).toMatchObject({ reason: 'unknown_device', deviceId: 'lift-99' });
  });

  it('a bridge may not publish for doors', async () => {
    const bridge = await connect('lift-bridge', 'bridge-secret');
    const closed = new Promise<void>((resolve) => bridge.once('close', () => resolve()));
    bridge.publish(
      'cg/garden-court/access/door-1/telemetry',
      JSON.stringify({ values: { door_open: true } }),
    );
    await closed;
    expect(rejected.at(-1)).toMatchObject({ reason: 'unauthorized' });
  });

  it('keeps rejected payloads from subscribers and forwards good ones', async () => {
    const app = await connect('duty-app', 'duty-secret');
    const refused = await app.subscribeAsync('cg/#').catch((e: Error) => e);
    expect(refused instanceof Error || refused[0]?.qos === 128).toBe(true);
    await app.subscribeAsync('cg/garden-court/alerts/#');
    const got: string[] = [];
    app.on('message', (topic) => got.push(topic));
    await adapter.broker.publish('cg/garden-court/alerts/lift-1', JSON.stringify({ state: 'active' }));
    await until(() => got.length === 1, 'alert message');
    expect(got).toEqual(['cg/garden-court/alerts/lift-1']);
  });

  it('forwards good telemetry to subscribers but never a rejected payload', async () => {
    const monitor = await connect('monitor', 'monitor-secret');
    await monitor.subscribeAsync('cg/+/elevator/#');
    const got: string[] = [];
    monitor.on('message', (_topic, payload) => got.push(payload.toString()));
    const lift = await connect('lift-1', 'lift-1-secret');
    const topic = 'cg/garden-court/elevator/lift-1/telemetry';
    await lift.publishAsync(topic, 'garbage', { qos: 1 });
    await lift.publishAsync(topic, JSON.stringify({ values: { floor: 2 } }), { qos: 1 });
    await until(() => got.length >= 1, 'forwarded telemetry');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([JSON.stringify({ values: { floor: 2 } })]);
  });

  it('turns an unclean disconnect into the last will: offline', async () => {
    const door = await connect('door-2', 'door-2-secret', {
      will: {
        topic: 'cg/garden-court/access/door-2/status',
        payload: Buffer.from('{"online":false}'),
        qos: 1,
        retain: true,
      },
    });
    const before = statuses.length;
    door.stream.destroy();
    await until(() => statuses.length > before, 'last will');
    expect(statuses.at(-1)).toMatchObject({
      deviceId: 'door-2',
      online: false,
      reason: 'last will (connection lost)',
    });
  });

  it('drops a connection that announces a huge packet without buffering it', async () => {
    const { connect: netConnect } = await import('node:net');
    const lift = await connect('lift-2', 'lift-2-secret');
    expect(lift.connected).toBe(true);
    // A raw CONNECT then a PUBLISH header announcing ~200 MB.
    const socket = netConnect(adapter.broker.port, '127.0.0.1');
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.on('error', () => {});
    const id = Buffer.from('raw');
    const user = Buffer.from('lift-2');
    const pass = Buffer.from('lift-2-secret');
    const str = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
    const body = Buffer.concat([
      str(Buffer.from('MQTT')),
      Buffer.from([4, 0xc2, 0, 30]),
      str(id),
      str(user),
      str(pass),
    ]);
    socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
    socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
