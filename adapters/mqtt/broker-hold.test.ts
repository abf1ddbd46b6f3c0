import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../gateway/types.ts';
import type { MqttAdapter } from './adapter.ts';
import { mqttAdapterFor } from '../../test/fixtures/mqtt-adapter.ts';

let adapter: MqttAdapter;

beforeAll(async () => {
  adapter = mqttAdapterFor(`
site: s
mqtt: { port: 0, allowAnonymous: true }
devices:
  - { id: lift-1, kind: elevator, protocol: mqtt, password: x }
`);
  await adapter.start();
});

afterAll(() => adapter.stop());

const url = () => `mqtt://127.0.0.1:${adapter.broker.port}`;
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const telemetry = (floor: number) => JSON.stringify({ values: { floor } });

describe('holding input while an alert goes out', () => {
  it('reads nothing new, acknowledges and forwards nothing, until released; then all of it, in order', async () => {
    const floors: number[] = [];
    const onReading = (r: Reading) => floors.push(r.values.floor as number);
    adapter.on('reading', onReading);
    const device = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
    const watcher = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
    try {
      const forwarded: number[] = [];
      watcher.on('message', (_t, p) =>
        forwarded.push((JSON.parse(p.toString()) as { values: { floor: number } }).values.floor),
      );
      await watcher.subscribeAsync('cg/s/elevator/#', { qos: 1 });
      await device.publishAsync('cg/s/elevator/lift-1/telemetry', telemetry(0), { qos: 1 });
      await turns(3);
      expect(floors).toEqual([0]);

      adapter.broker.holdInput();
      let acked = 0;
      for (let f = 1; f <= 20; f++)
        device.publish('cg/s/elevator/lift-1/telemetry', telemetry(f), { qos: 1 }, () => acked++);
      await new Promise((r) => setTimeout(r, 100));
      // At most the batch read before the hold came through; none of it acknowledged or forwarded.
      expect(floors.length).toBeLessThan(21);
      expect(acked).toBe(0);
      expect(forwarded).toEqual([0]);

      adapter.broker.releaseInput();
      const deadline = Date.now() + 5000;
      while ((acked < 20 || forwarded.length < 21) && Date.now() < deadline) await turns(1);
      expect(acked).toBe(20);
      expect(floors).toEqual(Array.from({ length: 21 }, (_, i) => i));
      expect(forwarded).toEqual(Array.from({ length: 21 }, (_, i) => i));
    } finally {
      adapter.off('reading', onReading);
      await Promise.all([device.endAsync(), watcher.endAsync()]);
    }
  });

  it('a release with nothing held changes nothing, and input flows at once without a hold', async () => {
    adapter.broker.releaseInput();
    const floors: number[] = [];
    const onReading = (r: Reading) => floors.push(r.values.floor as number);
    adapter.on('reading', onReading);
    const device = await mqtt.connectAsync(url(), { reconnectPeriod: 0 });
    try {
      await device.publishAsync('cg/s/elevator/lift-1/telemetry', telemetry(7), { qos: 1 });
      expect(floors).toEqual([7]);
    } finally {
      adapter.off('reading', onReading);
      await device.endAsync();
    }
  });
});
