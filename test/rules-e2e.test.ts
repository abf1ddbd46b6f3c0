import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../gateway/auth/password.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway, type Gateway } from '../gateway/supervisor.ts';
import { WebhookReceiver } from '../simulators/webhook-receiver.ts';
import { parseOrThrow } from './fixtures/configs.ts';
import { startInfluxd, type InfluxdHandle } from './helpers/influxd.ts';
import { waitFor } from './helpers/wait.ts';

const SECRET = 'webhook-secret-1';
const DB = 'rules_e2e';
let influxd: InfluxdHandle;
let receiver: WebhookReceiver;
let dataDir: string;
let gateway: Gateway;
let pump: MqttClient;
let watcher: MqttClient;
const onTopic: Array<{ topic: string; at: number; message: Record<string, unknown> }> = [];

beforeAll(async () => {
  [influxd, dataDir] = await Promise.all([startInfluxd(), mkdtemp(join(tmpdir(), 'cgw-rules-e2e-'))]);
  receiver = new WebhookReceiver({ secret: SECRET });
  await receiver.start();
  const config = parseOrThrow(`
site: garden-court
mqtt:
  port: 0
  users:
    - { username: duty-app, password: duty-app-secret, subscribe: ["cg/+/alerts/#"] }
http:
  port: 0
  users:
    - { username: duty, role: operator, passwordHash: "${await hashPassword('duty-pw')}" }
    - { username: guard, role: viewer, passwordHash: "${await hashPassword('guard-pw')}" }
influx: { url: "${influxd.url}", database: ${DB}, flushMs: 100 }
devices:
  - { id: pump-1, kind: pump, name: Booster pump 1, protocol: mqtt, password: pump-secret, labels: { building: b2 } }
rules:
  - template: pump-low-pressure
    params: { below: 2.0, for: 0s }
    flapWindow: 1s
notify:
  channels:
    - { id: duty-chat, type: webhook, url: "${receiver.url}", secret: ${SECRET} }
    - { id: alerts-topic, type: mqtt }
  routes:
    - { team: engineering, channels: [duty-chat, alerts-topic] }
`);
  gateway = await startGateway({ config, env: { dataDir, adminPassword: 'admin-pw' }, log: silentLogger() });
  const url = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  watcher = await mqtt.connectAsync(url, {
    username: 'duty-app',
    password: 'duty-app-secret',
    reconnectPeriod: 0,
  });
  watcher.on('message', (topic, payload) =>
    onTopic.push({
      topic,
      at: Date.now(),
      message: JSON.parse(payload.toString()) as Record<string, unknown>,
    }),
  );
  await watcher.subscribeAsync('cg/+/alerts/#', { qos: 1 });
  pump = await mqtt.connectAsync(url, { username: 'pump-1', password: 'pump-secret', reconnectPeriod: 0 });
});

afterAll(async () => {
  await Promise.all([pump?.endAsync(), watcher?.endAsync()]);
  await gateway?.stop();
  await Promise.all([receiver?.stop(), influxd?.dispose(), rm(dataDir, { recursive: true, force: true })]);
});

const telemetry = (values: Record<string, number | boolean>) =>
  pump.publishAsync('cg/garden-court/pump/pump-1/telemetry', JSON.stringify({ values }), { qos: 1 });

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${gateway.httpUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${gateway.httpUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });

describe('a pump pressure breach, end to end', () => {
  it('alerts on MQTT and a signed webhook within a second; ack by API, then the link is refused; resolves on recovery', async () => {
    await telemetry({ outlet_pressure_bar: 3.2, running: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(0);

    const t0 = Date.now();
    await telemetry({ outlet_pressure_bar: 1.4, running: true });
    await waitFor(
      () => onTopic.length >= 1 && receiver.received.length >= 1,
      'the alert on both channels',
      5000,
    );
    expect(onTopic[0]!.at - t0).toBeLessThan(1000);
    expect(receiver.received[0]!.at - t0).toBeLessThan(1000);
    expect(onTopic[0]!.topic).toBe('cg/garden-court/alerts/pump-1');
    const fired = onTopic[0]!.message;
    expect(fired).toMatchObject({
      event: 'fired',
      state: 'active',
      device: 'pump-1',
      value: 1.4,
      severity: 'major',
    });
    const hook = receiver.received[0]!;
    expect(hook.signatureOk).toBe(true);
    expect(hook.headers['x-cgw-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(hook.json).toMatchObject({ id: fired.id, event: 'fired' });
    const ackUrl = String((hook.json as { ackUrl: string }).ackUrl);
    expect(ackUrl.startsWith(`${gateway.httpUrl}/api/alerts/${String(fired.id)}/ack-link?token=`)).toBe(true);

    // A viewer may look but not acknowledge; the operator acknowledges with a note.
    const guard = await login('guard', 'guard-pw');
    expect((await api(`/api/alerts?state=active`, guard)).status).toBe(200);
    expect(
      (await api(`/api/alerts/${String(fired.id)}/ack`, guard, { method: 'POST', body: '{}' })).status,
    ).toBe(403);
    const duty = await login('duty', 'duty-pw');
    const acked = await api(`/api/alerts/${String(fired.id)}/ack`, duty, {
      method: 'POST',
      body: JSON.stringify({ note: 'checking the pump room' }),
    });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({ state: 'acknowledged', ackedBy: 'duty' });

    // The link from the chat message: shown without login, then refused as already done.
    const page = await fetch(ackUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/Already acknowledged by duty/);
    const viaLink = await fetch(ackUrl, { method: 'POST' });
    expect(viaLink.status).toBe(409);
    expect(await viaLink.json()).toMatchObject({ error: { code: 'CGW_RULE_ALERT_CONFLICT' } });
    await waitFor(() => receiver.received.length >= 2 && onTopic.length >= 2, 'the acknowledgement notified');
    expect(onTopic[1]!.message).toMatchObject({ event: 'acknowledged', ackedBy: 'duty' });

    await telemetry({ outlet_pressure_bar: 3.0, running: true });
    await waitFor(async () => gateway.alerts.get(String(fired.id))?.state === 'resolved', 'resolved');
    await waitFor(
      () => receiver.received.length >= 3 && onTopic.length >= 3,
      'the resolution notified (after the 1 s flap window)',
    );
    expect(receiver.received.map((h) => (h.json as { event: string }).event)).toEqual([
      'fired',
      'acknowledged',
      'resolved',
    ]);
    expect(receiver.received.every((h) => h.signatureOk)).toBe(true);

    type Detail = {
      history: Array<{ action: string; by: string | null }>;
      deliveries: Array<{ state: string }>;
    };
    const detail = (await (await api(`/api/alerts/${String(fired.id)}`, guard)).json()) as Detail;
    expect(detail.history.map((h) => [h.action, h.by])).toEqual([
      ['fired', null],
      ['acknowledged', 'duty'],
      ['resolved', null],
    ]);
    expect(detail.deliveries.filter((d) => d.state === 'sent')).toHaveLength(6);
    type Kpi = { alerts: Record<string, number>; byTeam: Record<string, { count: number }> };
    const kpi = (await (await api(`/api/kpi`, guard)).json()) as Kpi;
    expect(kpi.alerts).toMatchObject({ count: 1, acknowledged: 1, resolved: 1 });
    expect(kpi.byTeam.engineering?.count).toBe(1);
  });

  it('writes every state change to the alerts measurement with site, device, rule and severity tags', async () => {
    await gateway.store.flush();
    const answer = await influxd.query(`SELECT state FROM alerts WHERE device = 'pump-1' GROUP BY *`, DB);
    const series = answer.results[0]?.series?.[0];
    expect(series?.tags).toEqual({
      site: 'garden-court',
      device: 'pump-1',
      rule: 'pump-low-pressure',
      severity: 'major',
    });
    expect(series?.values?.map((v) => v[1])).toEqual(['active', 'acknowledged', 'resolved']);
  });
});
