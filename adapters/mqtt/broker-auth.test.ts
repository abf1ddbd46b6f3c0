import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../gateway/auth/password.ts';
import type { MqttAdapter } from './adapter.ts';
import { mqttAdapterFor } from '../../test/fixtures/mqtt-adapter.ts';

let adapter: MqttAdapter;

beforeAll(async () => {
  const hash = await hashPassword('lift-pass');
  adapter = mqttAdapterFor(`
site: s
mqtt: { port: 0, allowAnonymous: true }
devices:
  - { id: lift-h, kind: elevator, protocol: mqtt, password: "${hash}" }
`);
  await adapter.start();
});

afterAll(() => adapter.stop());

const url = () => `mqtt://127.0.0.1:${adapter.broker.port}`;

describe('authentication', () => {
  it('checks a device password against an scrypt hash from the config, again after a reconnect', async () => {
    for (let i = 0; i < 2; i++) {
      const client = await mqtt.connectAsync(url(), {
        username: 'lift-h',
        password: 'lift-pass',
        reconnectPeriod: 0,
      });
      expect(client.connected).toBe(true);
      await client.endAsync();
    }
    await expect(
      mqtt.connectAsync(url(), { username: 'lift-h', password: 'lift-pas', reconnectPeriod: 0 }),
    ).rejects.toThrow(/Bad username or password/);
  });

  it('lets anonymous clients in when the config says so, for device topics under the prefix only', async () => {
    const readings: unknown[] = [];
    adapter.on('reading', (r) => readings.push(r));
    const anon = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
    await anon.publishAsync('cg/s/elevator/lift-h/telemetry', JSON.stringify({ values: { floor: 1 } }), {
      qos: 1,
    });
    expect(readings).toHaveLength(1);
    const closed = new Promise<void>((resolve) => anon.once('close', () => resolve()));
    anon.publish('elsewhere/topic', 'x');
    await closed;
  });
});
