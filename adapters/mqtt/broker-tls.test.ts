import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../gateway/log.ts';
import { parseOrThrow } from '../../test/fixtures/configs.ts';
import { mqttAdapterFor } from '../../test/fixtures/mqtt-adapter.ts';
import { MqttAdapter } from './adapter.ts';

let dir: string;
let adapter: MqttAdapter;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  adapter = mqttAdapterFor(`
site: s
mqtt: { port: 0, tls: { port: 0, cert: "${join(dir, 'cert.pem')}", key: "${join(dir, 'key.pem')}" } }
devices:
  - { id: door-1, kind: access, protocol: mqtt, password: door-secret }
`);
  await adapter.start();
});

afterAll(async () => {
  await adapter.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS listener', () => {
  it('serves the same broker over TLS, with the same authentication', async () => {
    const readings: unknown[] = [];
    adapter.on('reading', (r) => readings.push(r));
    const ca = readFileSync(join(dir, 'cert.pem'));
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${adapter.broker.tlsPort}`, {
      username: 'door-1',
      password: 'door-secret',
      ca,
      reconnectPeriod: 0,
    });
    await client.publishAsync('cg/s/access/door-1/telemetry', JSON.stringify({ values: { locked: true } }), {
      qos: 1,
    });
    await client.endAsync();
    expect(readings).toHaveLength(1);
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${adapter.broker.tlsPort}`, {
        username: 'door-1',
        password: 'nope',
        ca,
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow(/Bad username or password/);
  });

  it('refuses to start with a certificate path that cannot be read, naming the key', async () => {
    const config = parseOrThrow(`
mqtt: { port: 0, tls: { port: 0, cert: /nonexistent/cert.pem, key: /nonexistent/key.pem } }
`);
    const broken = new MqttAdapter({
      config: config.mqtt,
      devices: [],
      log: silentLogger(),
      clock: { now: () => Date.now() },
    });
    await expect(broken.start()).rejects.toThrow(/mqtt\.tls: cannot read certificate or key/);
    await broken.stop();
  });
});
