import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess } from './helpers/cli.ts';
import { startInfluxd, type InfluxdHandle } from './helpers/influxd.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

let influxd: InfluxdHandle;
let dir: string;
let env: NodeJS.ProcessEnv;
const running: CliProcess[] = [];
const DB = 'crash';
const DEVICES = 10;

async function metric(httpPort: string, name: string): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
  return text
    .split('\n')
    .filter((line) => line.startsWith(name + ' ') || line.startsWith(name + '{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

function startGatewayProcess(): CliProcess {
  const gateway = new CliProcess(['start', '--config', join(dir, 'gateway.yaml')], env);
  running.push(gateway);
  return gateway;
}

async function publishBatch(port: string, from: number, count: number): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, (_, d) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        username: `dev-${d}`,
        password: `pw-${d}`,
        reconnectPeriod: 0,
      }),
    ),
  );
  const base = Date.now() - 3_600_000;
  for (let i = from; i < from + count; i++) {
    await Promise.all(
      clients.map((client, d) =>
        client.publishAsync(
          `cg/crash-site/elevator/dev-${d}/telemetry`,
          JSON.stringify({ ts: base + i * 10, values: { floor: i % 30 } }),
          { qos: 1 },
        ),
      ),
    );
  }
  await Promise.all(clients.map((c) => c.endAsync()));
}

beforeAll(async () => {
  influxd = await startInfluxd();
  dir = await mkdtemp(join(tmpdir(), 'cgw-crash-'));
  const devices = Array.from(
    { length: DEVICES },
    (_, d) => `  - { id: dev-${d}, kind: elevator, protocol: mqtt, password: pw-${d} }`,
  );
  await writeFile(
    join(dir, 'gateway.yaml'),
    ['site: crash-site', 'influx: { url: "http://unused:1", flushMs: 100 }', 'devices:', ...devices].join(
      '\n',
    ),
  );
  env = {
    CGW_DATA_DIR: join(dir, 'data'),
    CGW_MQTT_PORT: String(await freePort()),
    CGW_HTTP_PORT: String(await freePort()),
    CGW_INFLUX_URL: `${influxd.url}/${DB}`,
    CGW_ADMIN_PASSWORD: 'crash-test-admin',
    CGW_LOG_LEVEL: 'warn',
  };
});

afterAll(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await influxd?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('a gateway killed with -9 while its spool holds points', () => {
  it('replays every spooled point once after the restart', async () => {
    const first = startGatewayProcess();
    await first.waitFor(/community-gateway is running/);
    const mqttPort = env.CGW_MQTT_PORT!;
    const httpPort = env.CGW_HTTP_PORT!;

    await publishBatch(mqttPort, 0, 50); // InfluxDB up: lands at once
    await waitFor(
      async () => (await influxd.countPoints(DB, 'elevator', 'floor')) === 500,
      'first 500 points',
      15_000,
      200,
    );

    await influxd.stop();
    await publishBatch(mqttPort, 50, 150); // InfluxDB down: 1,500 points go to the spool
    await waitFor(
      async () => (await metric(httpPort, 'cgw_messages_total')) >= 2000,
      'all messages accepted',
      15_000,
      100,
    );
    await waitFor(
      async () => (await metric(httpPort, 'cgw_spool_depth')) > 0,
      'points in the spool',
      15_000,
      100,
    );

    first.child.kill('SIGKILL');
    await first.stop('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');

    await influxd.start();
    const second = startGatewayProcess();
    await second.waitFor(/community-gateway is running/);
    await waitFor(
      async () => (await influxd.countPoints(DB, 'elevator', 'floor')) >= 2000,
      'replayed points',
      30_000,
      250,
    );
    expect(await influxd.countPoints(DB, 'elevator', 'floor')).toBe(2000);
    await waitFor(
      async () => (await metric(httpPort, 'cgw_spool_depth')) === 0,
      'spool drained',
      15_000,
      200,
    );
    expect(await metric(httpPort, 'cgw_points_replayed_total')).toBeGreaterThan(0);

    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
