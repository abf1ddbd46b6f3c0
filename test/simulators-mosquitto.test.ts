import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../gateway/config/load.ts';
import type { Config } from '../gateway/config/schema.ts';
import { silentLogger } from '../gateway/log.ts';
import { createSimulatedCommunity, type SimulatedCommunity } from '../simulators/community.ts';
import { MqttDeviceClient } from '../simulators/mqtt-device.ts';
import { freePort, startMosquitto, type Mosquitto } from './helpers/mosquitto.ts';

let broker: Mosquitto;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await broker?.stop();
});

/** 3 doors and 2 lifts on two sites, plus a pump and a camera the simulator must leave alone. */
function communityConfig(prefix: string): Config {
  const result = parseConfig(`
site: garden-court
mqtt: { prefix: ${prefix} }
devices:
  - { id: door-b1-east, kind: access, protocol: mqtt, password: pw-door-1, labels: { building: b1 } }
  - { id: door-b1-west, kind: access, protocol: mqtt, password: pw-door-2 }
  - { id: door-b2-main, kind: access, site: maple-row, protocol: mqtt, password: pw-door-3 }
  - { id: lift-b1-a, kind: elevator, protocol: mqtt, password: pw-lift-1 }
  - { id: lift-b2-a, kind: elevator, site: maple-row, protocol: mqtt, password: pw-lift-2 }
  - id: pump-1
    kind: pump
    protocol: modbus
    modbus: { host: 127.0.0.1, port: 5020, unitId: 1, profile: booster-pump-v1 }
  - id: cam-1
    kind: camera
    protocol: onvif
    onvif: { xaddr: "http://127.0.0.1:8000/onvif/device_service", username: admin, password: pw }
`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

const DEVICES = [
  { id: 'door-b1-east', site: 'garden-court', kind: 'access' },
  { id: 'door-b1-west', site: 'garden-court', kind: 'access' },
  { id: 'door-b2-main', site: 'maple-row', kind: 'access' },
  { id: 'lift-b1-a', site: 'garden-court', kind: 'elevator' },
  { id: 'lift-b2-a', site: 'maple-row', kind: 'elevator' },
] as const;

function community(prefix: string): SimulatedCommunity {
  const c = createSimulatedCommunity({
    config: communityConfig(prefix),
    brokerUrl: broker.url,
    seed: 7,
    log: silentLogger(),
    tickMs: 50,
    reconnectPeriodMs: 200,
    door: { telemetryMs: 400 },
    elevator: { intervalMs: 300 },
  });
  cleanups.push(() => c.stop());
  return c;
}

interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

/** A plain MQTT client watching `filter`, as a gateway or an operator's tool would. */
async function watch(filter: string) {
  const client: MqttClient = await connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  cleanups.push(() => client.endAsync());
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  const waitFor = async (what: string, done: (m: Received[]) => boolean, timeoutMs = 8_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done(messages)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${messages.length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { client, messages, waitFor };
}

const json = (m: Received): unknown => JSON.parse(m.payload.toString());
const topicOf = (prefix: string, d: (typeof DEVICES)[number], channel: string) =>
  `${prefix}/${d.site}/${d.kind}/${d.id}/${channel}`;

function expectCanonical(kind: 'access' | 'elevator', values: Record<string, unknown>): void {
  if (kind === 'access') {
    expect(Object.keys(values).sort()).toEqual(['door_open', 'locked']);
    expect(typeof values.door_open).toBe('boolean');
    expect(typeof values.locked).toBe('boolean');
    return;
  }
  expect(Object.keys(values).sort()).toEqual(
    ['direction', 'door_open', 'fault_code', 'floor', 'load_kg', 'mode', 'moving', 'speed_mps'].sort(),
  );
  expect(Number.isInteger(values.floor)).toBe(true);
  expect(['up', 'down', 'idle']).toContain(values.direction);
  expect(typeof values.door_open).toBe('boolean');
  expect(typeof values.moving).toBe('boolean');
  expect(typeof values.load_kg).toBe('number');
  expect(typeof values.speed_mps).toBe('number');
  expect(['normal', 'inspection', 'fire']).toContain(values.mode);
  expect(Number.isInteger(values.fault_code)).toBe(true);
}

describe('simulated community against a real mosquitto', () => {
  it('publishes well-formed telemetry on each device topic, and only for doors and lifts', async () => {
    const sub = await watch('t1/#');
    // The model clock starts when the community is created.
    const createdAt = Date.now();
    const c = community('t1');
    const ids = c.devices().map((d) => d.id);
    expect(ids.sort()).toEqual(DEVICES.map((d) => d.id).sort());
    await c.start();
    const telemetryOf = (d: (typeof DEVICES)[number]) =>
      sub.messages.filter((m) => m.topic === topicOf('t1', d, 'telemetry'));
    await sub.waitFor('3 telemetry messages per device', () =>
      DEVICES.every((d) => telemetryOf(d).length >= 3),
    );
    for (const d of DEVICES) {
      for (const m of telemetryOf(d)) {
        const body = json(m) as { ts: unknown; values: Record<string, unknown> };
        expect(typeof body.ts).toBe('number');
        expect(body.ts as number).toBeGreaterThanOrEqual(createdAt);
        expect(body.ts as number).toBeLessThanOrEqual(Date.now() + 1);
        expectCanonical(d.kind, body.values);
      }
    }
    // Nothing outside the five devices' own topics.
    const allowed = new Set(
      DEVICES.flatMap((d) => ['telemetry', 'event', 'status'].map((ch) => topicOf('t1', d, ch))),
    );
    expect(sub.messages.filter((m) => !allowed.has(m.topic))).toEqual([]);
    for (const m of sub.messages.filter((x) => x.topic.endsWith('/event'))) {
      expect(typeof (json(m) as { type: unknown }).type).toBe('string');
    }
    expect(c.counters().telemetry).toBeGreaterThanOrEqual(15);
    expect(c.device('pump-1')).toBeUndefined();
    expect(c.device('cam-1')).toBeUndefined();
  });

  it('leaves a retained {"online": true} for every device, seen by a late subscriber', async () => {
    const c = community('t2');
    await c.start();
    expect(await c.waitConnected(5_000)).toBe(true);
    const late = await watch('t2/+/+/+/status');
    await late.waitFor('five retained statuses', (m) => m.length >= 5);
    expect(late.messages.map((m) => m.topic).sort()).toEqual(
      DEVICES.map((d) => topicOf('t2', d, 'status')).sort(),
    );
    for (const m of late.messages) {
      expect(m.retain).toBe(true);
      expect(json(m)).toEqual({ online: true });
    }
  });

  it('offline fault: the broker publishes the last will {"online": false}; back online when cleared', async () => {
    const c = community('t3');
    await c.start();
    expect(await c.waitConnected(5_000)).toBe(true);
    const door = DEVICES[0];
    const sub = await watch(topicOf('t3', door, 'status'));
    await sub.waitFor('the retained online status', (m) => m.length === 1);
    // The state report a device sends on connect.
    await until(() => c.device(door.id)!.counters().telemetry > 0);
    c.device(door.id)!.setFault('offline', true);
    await sub.waitFor('the last will', (m) => m.length >= 2);
    expect(json(sub.messages[1]!)).toEqual({ online: false });
    expect(c.device(door.id)!.connected).toBe(false);
    // A device that is off sends nothing (not even attempts that fail).
    const sentBefore = c.device(door.id)!.counters();
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(c.device(door.id)!.counters()).toEqual(sentBefore);
    c.device(door.id)!.setFault('offline', false);
    await sub.waitFor('online again', (m) => m.length >= 3);
    expect(json(sub.messages[2]!)).toEqual({ online: true });
    expect(c.device(door.id)!.connected).toBe(true);
    // The other devices never went away.
    expect(
      c
        .devices()
        .filter((d) => d.id !== door.id)
        .every((d) => d.connected),
    ).toBe(true);
  });

  it('garbage fault: non-JSON payloads on the telemetry topic, valid again when cleared', async () => {
    const c = community('t4');
    await c.start();
    expect(await c.waitConnected(5_000)).toBe(true);
    const lift = DEVICES[3];
    const sub = await watch(topicOf('t4', lift, 'telemetry'));
    c.device(lift.id)!.setFault('garbage', true);
    const notJson = (m: Received): boolean => {
      try {
        JSON.parse(m.payload.toString());
        return false;
      } catch {
        return true;
      }
    };
    await sub.waitFor('a non-JSON payload', (m) => m.some(notJson));
    expect(c.device(lift.id)!.counters().raw).toBeGreaterThan(0);
    c.device(lift.id)!.setFault('garbage', false);
    const from = sub.messages.length;
    await sub.waitFor('valid telemetry again', (m) => m.slice(from + 1).some((x) => !notJson(x)));
    const last = sub.messages.at(-1)!;
    expectCanonical('elevator', (json(last) as { values: Record<string, unknown> }).values);
    expect(() => c.device(lift.id)!.setFault('forced', true)).toThrow(/no fault "forced"/);
  });

  it('runs the model faster at a higher speed, stamping wall-clock times; `only` picks kinds', async () => {
    const sub = await watch('t7/+/elevator/+/telemetry');
    const createdAt = Date.now();
    const c = createSimulatedCommunity({
      config: communityConfig('t7'),
      brokerUrl: broker.url,
      seed: 3,
      speed: 20,
      only: ['elevator'],
      log: silentLogger(),
      tickMs: 50,
      elevator: { intervalMs: 300 },
    });
    cleanups.push(() => c.stop());
    expect(c.devices().map((d) => d.kind)).toEqual(['elevator', 'elevator']);
    await c.start();
    expect(await c.waitConnected(5_000)).toBe(true);
    const connectedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // 1 s of wall time is 20 s of model time: at least ~60 reports per lift at 300 ms (model).
    const fresh = sub.messages.filter((m) => (json(m) as { ts: number }).ts >= connectedAt);
    for (const lift of ['lift-b1-a', 'lift-b2-a']) {
      expect(fresh.filter((m) => m.topic.includes(`/${lift}/`)).length).toBeGreaterThan(40);
    }
    for (const m of sub.messages) {
      const ts = (json(m) as { ts: number }).ts;
      expect(ts).toBeGreaterThanOrEqual(createdAt);
      expect(ts).toBeLessThanOrEqual(Date.now());
    }
  });

  it('stops cleanly: retained offline status, no timers or sockets left, idempotent', async () => {
    const baseline = resources();
    // Every tick reads the clock: a tick timer left running would keep reading it.
    let clockReads = 0;
    const clock = { now: () => (clockReads++, Date.now()) };
    const c = createSimulatedCommunity({
      config: communityConfig('t5'),
      brokerUrl: broker.url,
      seed: 1,
      log: silentLogger(),
      tickMs: 20,
      clock,
    });
    await c.start();
    expect(await c.waitConnected(5_000)).toBe(true);
    expect(resources().sockets).toBeGreaterThanOrEqual(baseline.sockets + 5);
    await until(() => clockReads > 3);
    const first = c.stop();
    expect(c.stop()).toBe(first);
    await first;
    await c.stop();
    const readsAtStop = clockReads;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(clockReads).toBe(readsAtStop);
    // Sockets close a moment after DISCONNECT; give them that moment, then insist.
    const settled = (): boolean =>
      resources().timers <= baseline.timers && resources().sockets <= baseline.sockets;
    await until(settled).catch(() => undefined);
    expect(resources().sockets).toBeLessThanOrEqual(baseline.sockets);
    expect(resources().timers).toBeLessThanOrEqual(baseline.timers);
    const after = await watch('t5/+/+/+/status');
    await after.waitFor('five retained statuses', (m) => m.length >= 5);
    for (const m of after.messages) expect(json(m)).toEqual({ online: false });
    // Starting a stopped community does nothing.
    await c.start();
    expect(c.devices().every((d) => !d.connected)).toBe(true);
  });
});

describe('MqttDeviceClient', () => {
  it('hands over the commands sent to its own cmd topics', async () => {
    const commands: Array<{ topic: string; text: string }> = [];
    const client = new MqttDeviceClient({
      brokerUrl: broker.url,
      deviceId: 'lift-cmd',
      password: 'pw',
      site: 'garden-court',
      kind: 'elevator',
      prefix: 't6',
      log: silentLogger(),
      onCommand: (topic, payload) => commands.push({ topic, text: payload.toString() }),
    });
    cleanups.push(() => client.stop());
    client.start();
    expect(await client.waitConnected(5_000)).toBe(true);
    const operator = await watch('t6/garden-court/elevator/lift-cmd/status');
    await operator.waitFor('the online status', (m) => m.length > 0);
    // The subscription is made right after connect; retry the command until it lands.
    await until(() => {
      void operator.client.publishAsync('t6/garden-court/elevator/lift-cmd/cmd/mode', 'fire', { qos: 1 });
      return commands.length > 0;
    });
    expect(commands[0]).toEqual({ topic: 't6/garden-court/elevator/lift-cmd/cmd/mode', text: 'fire' });
  });

  it('reconnects by itself when its broker comes back, and says it is online again', async () => {
    const own = await startMosquitto();
    const brokers = [own];
    cleanups.push(async () => {
      for (const b of brokers) await b.stop();
    });
    const client = new MqttDeviceClient({
      brokerUrl: own.url,
      deviceId: 'door-rc',
      password: 'pw',
      site: 's',
      kind: 'access',
      log: silentLogger(),
      reconnectPeriodMs: 100,
    });
    cleanups.push(() => client.stop());
    client.start();
    expect(await client.waitConnected(5_000)).toBe(true);
    await own.stop();
    await until(() => !client.connected);
    expect(client.publishTelemetry({ ts: Date.now(), values: { door_open: false } })).toBe(false);
    const restarted = await startMosquitto({ port: own.port });
    brokers.push(restarted);
    expect(await client.waitConnected(5_000)).toBe(true);
    // The new broker has no memory (persistence false): the retained status is the client's doing.
    const probe = await connectAsync(restarted.url, { protocolVersion: 4, reconnectPeriod: 0 });
    cleanups.push(() => probe.endAsync());
    const status = new Promise<string>((resolve) => probe.on('message', (_t, p) => resolve(p.toString())));
    await probe.subscribeAsync('cg/s/access/door-rc/status');
    expect(JSON.parse(await status)).toEqual({ online: true });
    expect(client.publishTelemetry({ ts: Date.now(), values: { door_open: false } })).toBe(true);
  });

  it('neither throws nor hangs without a broker: publishes are refused and stop() returns at once', async () => {
    const port = await freePort(); // nothing listens there
    const client = new MqttDeviceClient({
      brokerUrl: `mqtt://127.0.0.1:${port}`,
      deviceId: 'door-x',
      password: 'pw',
      site: 's',
      kind: 'access',
      log: silentLogger(),
      reconnectPeriodMs: 50,
    });
    client.start();
    expect(await client.waitConnected(400)).toBe(false);
    expect(client.connected).toBe(false);
    expect(client.publishTelemetry({ ts: Date.now(), values: { door_open: false } })).toBe(false);
    const t0 = Date.now();
    await client.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    expect(client.topics.telemetry).toBe('cg/s/access/door-x/telemetry');
  });
});

async function until(done: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Live timers and TCP sockets in this process (what would keep it from exiting). */
function resources(): { timers: number; sockets: number } {
  const info = process.getActiveResourcesInfo();
  return {
    timers: info.filter((r) => r === 'Timeout').length,
    sockets: info.filter((r) => r === 'TCPSocketWrap').length,
  };
}
