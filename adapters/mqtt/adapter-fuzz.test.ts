import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttAdapter } from './adapter.ts';
import { mqttAdapterFor } from '../../test/fixtures/mqtt-adapter.ts';

let adapter: MqttAdapter;
let client: MqttClient;
let outcomes = 0;

beforeAll(async () => {
  adapter = mqttAdapterFor(`
site: s
mqtt: { port: 0, maxPayloadBytes: 512, users: [{ username: fuzzer, password: f, publish: ["cg/#"] }] }
devices:
  - { id: door-1, kind: access, protocol: mqtt, password: p }
  - { id: lift-1, kind: elevator, protocol: mqtt, password: p }
`);
  for (const name of ['reading', 'event', 'status', 'rejected'] as const) adapter.on(name, () => outcomes++);
  await adapter.start();
  client = await mqtt.connectAsync(`mqtt://127.0.0.1:${adapter.broker.port}`, {
    username: 'fuzzer',
    password: 'f',
    reconnectPeriod: 0,
  });
});

afterAll(async () => {
  await client.endAsync();
  await adapter.stop();
});

const level = fc.oneof(
  fc.constantFrom(
    's',
    'other',
    'access',
    'elevator',
    'pump',
    'door-1',
    'lift-1',
    'ghost',
    'telemetry',
    'event',
    'status',
    '',
  ),
  fc.string({ maxLength: 8 }),
);
const topic = fc
  .array(level, { minLength: 1, maxLength: 6 })
  .map((levels) => 'cg/' + levels.join('/'))
  .filter((t) => !/[+#\u0000]/.test(t) && !t.split('/').includes('cmd'));
const json = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .record({
      values: fc.dictionary(
        fc.string({ maxLength: 10 }),
        fc.oneof(fc.integer(), fc.boolean(), fc.string(), fc.double()),
      ),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record({ type: fc.string({ maxLength: 20 }), seconds: fc.anything() })
    .map((v) => JSON.stringify(v) ?? '{}'),
  fc.record({ online: fc.anything() }).map((v) => JSON.stringify(v) ?? '{}'),
);
const payload = fc.oneof(
  json.map((t) => Buffer.from(t)),
  fc.uint8Array({ maxLength: 700 }).map((b) => Buffer.from(b)),
);

describe('random topics and payloads over a real MQTT connection (property)', () => {
  it('every message is either taken in or dead-lettered, and the connection and broker stay up', async () => {
    await fc.assert(
      fc.asyncProperty(topic, payload, async (t, p) => {
        const before = outcomes;
        await client.publishAsync(t, p, { qos: 1 });
        expect(outcomes - before).toBe(1);
        expect(client.connected).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
