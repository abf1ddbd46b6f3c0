import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import { startGateway, type Gateway } from '../gateway/supervisor.ts';
import { ManualClock } from './fixtures/dashboard-app.ts';
import { parseOrThrow } from './fixtures/configs.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

let dataDir: string;
let gateway: Gateway | undefined;
const clients: MqttClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await gateway?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a gateway restarted in the middle of a `for` window', () => {
  it('fires the alert once, at the second the window ends', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cgw-rules-restart-'));
    const mqttPort = await freePort();
    const config = parseOrThrow(`
site: garden-court
mqtt:
  port: ${mqttPort}
  users: [{ username: duty-app, password: duty-secret, subscribe: ["cg/+/alerts/#"] }]
devices:
  - { id: pump-1, kind: pump, protocol: mqtt, password: pump-secret }
rules:
  - template: pump-low-pressure
    params: { below: 2.0, for: 30s }
`);
    // The gateway's own clock, moved by hand: "to the second" is then exact, not a tolerance.
    const clock = new ManualClock();
    const start = () =>
      startGateway({ config, env: { dataDir, adminPassword: 'x' }, log: silentLogger(), http: false, clock });
    const T0 = clock.now();
    const alerts: string[] = [];
    const connect = async () => {
      const url = `mqtt://127.0.0.1:${mqttPort}`;
      const pump = await mqtt.connectAsync(url, {
        username: 'pump-1',
        password: 'pump-secret',
        reconnectPeriod: 0,
      });
      const watcher = await mqtt.connectAsync(url, {
        username: 'duty-app',
        password: 'duty-secret',
        reconnectPeriod: 0,
      });
      watcher.on('message', (_t, payload) =>
        alerts.push((JSON.parse(payload.toString()) as { event: string }).event),
      );
      await watcher.subscribeAsync('cg/+/alerts/#', { qos: 1 });
      clients.push(pump, watcher);
      return pump;
    };
    let seen = 0;
    const breach = async (pump: MqttClient) => {
      await pump.publishAsync(
        'cg/garden-court/pump/pump-1/telemetry',
        JSON.stringify({ values: { outlet_pressure_bar: 1.1, running: true } }),
        { qos: 1 },
      );
      seen++;
      const telemetry = async () =>
        (await gateway!.metrics.messages.get()).values.find((v) => v.labels.type === 'telemetry')?.value ?? 0;
      await waitFor(async () => (await telemetry()) >= seen, 'the reading taken in');
    };

    gateway = await start();
    let pump = await connect();
    await breach(pump);
    clock.advance(12_000);
    gateway.alerts.tick();
    await breach(pump);

    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    await gateway.stop();
    clock.advance(3000);
    gateway = await start();
    seen = 0;
    pump = await connect();
    await breach(pump);

    clock.t = T0 + 30_000 - 1;
    gateway.alerts.tick();
    await new Promise((r) => setTimeout(r, 200));
    expect(gateway.alerts.list()).toEqual([]);
    clock.t = T0 + 30_000;
    gateway.alerts.tick();
    await waitFor(() => alerts.length === 1, 'the alert on its topic');
    const list = gateway.alerts.list();
    expect(list).toHaveLength(1);
    expect(list[0]!.startedAt).toBe(T0 + 30_000);

    clock.advance(60_000);
    gateway.alerts.tick();
    await breach(pump);
    await new Promise((r) => setTimeout(r, 300));
    expect(gateway.alerts.list()).toHaveLength(1);
    expect(alerts).toEqual(['fired']);
  });
});
