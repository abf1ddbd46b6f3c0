import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess } from './helpers/cli.ts';
import { startMosquitto, type Mosquitto } from './helpers/mosquitto.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

let dir: string;
const running: CliProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-run-'));
});
afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('cgw demo', () => {
  it('serves the dashboard with doors and lifts online, and stops cleanly on SIGINT', async () => {
    const httpPort = await freePort();
    const demo = new CliProcess(['demo', '--seed', '7'], {
      CGW_DATA_DIR: join(dir, 'demo-data'),
      CGW_HTTP_PORT: String(httpPort),
      CGW_MQTT_PORT: String(await freePort()),
      CGW_MODBUS_PORT: String(await freePort()),
      CGW_ADMIN_PASSWORD: '',
      CGW_INFLUX_URL: '',
    });
    running.push(demo);
    const [, url, password] = (await demo.waitFor(
      /dashboard: (\S+)\n\s+login:\s+admin \/ (\S+)/,
    )) as unknown as [string, string, string];
    expect(url).toBe(`http://127.0.0.1:${httpPort}`);
    expect(demo.stdout).toMatch(/scenario: default, 9 faults, looping/);

    const health = await fetch(`${url}/api/health`).then((r) => r.json() as Promise<{ status: string }>);
    expect(health.status).toBe('up');
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    type Device = { kind: string; online: boolean | null };
    let devices: Device[] = [];
    await waitFor(
      async () => {
        devices = (await fetch(`${url}/api/devices`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.json(),
        )) as Device[];
        return devices.length > 0 && devices.every((d) => d.online === true);
      },
      'every demo device online',
      20_000,
      200,
    );
    expect(new Set(devices.map((d) => d.kind))).toEqual(new Set(['access', 'elevator', 'camera', 'pump']));

    const before = demo.stdout.length;
    expect(await demo.stop('SIGINT')).toBe(0);
    // Stopping is quiet: no device alerted as offline, no simulated device complaining about the broker.
    const atStop = demo.stdout.slice(before);
    expect(atStop).not.toMatch(/ offline: |is offline|disconnected from the broker|MQTT connection problem/);
  });
});

describe('cgw simulate against a real mosquitto', () => {
  let mosquitto: Mosquitto;
  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });
  afterAll(async () => {
    await mosquitto?.stop();
  });

  it('brings the config devices to life on their own topics', async () => {
    const file = join(dir, 'sim.yaml');
    await writeFile(
      file,
      [
        'site: sim-site',
        'devices:',
        '  - { id: door-a, kind: access, protocol: mqtt, password: a }',
        '  - { id: lift-a, kind: elevator, protocol: mqtt, password: b }',
      ].join('\n'),
    );
    const watcher = await mqtt.connectAsync(mosquitto.url, { reconnectPeriod: 0 });
    const seen = new Map<string, unknown>();
    watcher.on('message', (topic, payload) => seen.set(topic, JSON.parse(payload.toString())));
    await watcher.subscribeAsync('cg/#');
    const sim = new CliProcess(['simulate', '--config', file, '--broker', mosquitto.url], {
      CGW_LOG_LEVEL: 'warn',
    });
    running.push(sim);
    await sim.waitFor(/simulating 2 devices/);
    await waitFor(
      () =>
        seen.has('cg/sim-site/access/door-a/telemetry') && seen.has('cg/sim-site/elevator/lift-a/telemetry'),
      'telemetry of both',
      15_000,
    );
    expect(seen.get('cg/sim-site/access/door-a/status')).toEqual({ online: true });
    expect(seen.get('cg/sim-site/elevator/lift-a/telemetry')).toMatchObject({
      ts: expect.any(Number),
      values: { floor: expect.any(Number) },
    });
    expect(await sim.stop('SIGTERM')).toBe(0);
    await waitFor(
      () => (seen.get('cg/sim-site/access/door-a/status') as { online: boolean }).online === false,
      'offline on stop',
    );
    await watcher.endAsync();
  });
});
