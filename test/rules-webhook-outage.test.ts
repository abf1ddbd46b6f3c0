import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../gateway/config/schema.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway, type Gateway } from '../gateway/supervisor.ts';
import { WebhookReceiver } from '../simulators/webhook-receiver.ts';
import { parseOrThrow } from './fixtures/configs.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

const OUTAGE_MS = 30_000;
let dataDir: string;
let gateway: Gateway | undefined;
let receiver: WebhookReceiver | undefined;

afterAll(async () => {
  await gateway?.stop();
  await receiver?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function config(webhookPort: number, mqttPort: number): Config {
  return parseOrThrow(`
site: garden-court
mqtt: { port: ${mqttPort} }
devices:
  - { id: door-1, kind: access, protocol: mqtt, password: door-1-secret }
  - { id: door-2, kind: access, protocol: mqtt, password: door-2-secret }
rules:
  - template: door-forced
notify:
  channels:
    - { id: duty-chat, type: webhook, url: "http://127.0.0.1:${webhookPort}/hook", secret: s3cret, preset: wecom }
  routes:
    - { channels: [duty-chat] }
`);
}

const start = (cfg: Config) =>
  startGateway({
    config: cfg,
    env: { dataDir, adminPassword: 'x' },
    log: silentLogger(),
    http: false,
    // Short waits between attempts, so delivery follows the receiver's return closely.
    alerts: { backoff: { minMs: 250, maxMs: 2000 } },
  });

async function forced(door: string): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway!.mqttPort}`, {
    username: door,
    password: `${door}-secret`,
    reconnectPeriod: 0,
  });
  await client.publishAsync(`cg/garden-court/access/${door}/event`, JSON.stringify({ type: 'door.forced' }), {
    qos: 1,
  });
  await client.endAsync();
}

describe('a webhook receiver down for 30 s', () => {
  it('gets every notification after it returns, none twice, even across a gateway restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cgw-rules-outage-'));
    const [webhookPort, mqttPort] = [await freePort(), await freePort()];
    receiver = new WebhookReceiver({ port: webhookPort, secret: 's3cret' });
    await receiver.start();
    await receiver.stop();
    const down = Date.now();
    const cfg = config(webhookPort, mqttPort);
    gateway = await start(cfg);

    await forced('door-1');
    await forced('door-2');
    await waitFor(() => gateway!.alerts.list().length === 2, 'two alerts');
    const door1 = gateway.alerts.list({ device: 'door-1' })[0]!;
    gateway.alerts.acknowledge(door1.id, 'duty');
    gateway.alerts.resolve(door1.id, 'duty', 'lock repaired');

    // Restart in the middle of the outage: the outbox is on disk.
    await new Promise((r) => setTimeout(r, 3000));
    await gateway.stop();
    gateway = await start(cfg);
    await forced('door-2'); // a repeat of an open alert: counted, not notified
    expect(gateway.alerts.deliveries(door1.id).map((d) => d.state)).toEqual([
      'pending',
      'pending',
      'pending',
    ]);

    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));
    expect(receiver.received).toHaveLength(0);
    await receiver.start();
    const back = Date.now();
    await waitFor(() => receiver!.received.length >= 4, 'all four notifications', 10_000);
    // Give a duplicate every chance to show up.
    await new Promise((r) => setTimeout(r, 3000));

    const deliveries = receiver.received.map((h) => String(h.headers['x-cgw-delivery']));
    expect(new Set(deliveries).size).toBe(deliveries.length);
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received.every((h) => h.signatureOk)).toBe(true);
    expect(receiver.received.map((h) => h.headers['x-cgw-event'])).toEqual(
      expect.arrayContaining(['fired', 'fired', 'acknowledged', 'resolved']),
    );
    // Per channel in order: door-1's fired before its acknowledgement before its resolution.
    const door1Events = receiver.received
      .filter((h) => String(h.headers['x-cgw-delivery']).startsWith(door1.id))
      .map((h) => h.headers['x-cgw-event']);
    expect(door1Events).toEqual(['fired', 'acknowledged', 'resolved']);
    expect((receiver.received[0]!.json as { msgtype: string }).msgtype).toBe('markdown');
    expect(receiver.received[receiver.received.length - 1]!.at - back).toBeLessThan(5000);
  }, 60_000);
});
