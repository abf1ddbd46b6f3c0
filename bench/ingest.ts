import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { startTestGateway } from '../test/helpers/gateway.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';
import { benchDevices, benchGatewayConfig } from './fixtures.ts';
import { loadInChild, waitUntil } from './harness.ts';

export interface IngestOptions {
  devices: number;
  connections: number;
  durationMs: number;
  qos: 0 | 1;
}

export interface IngestResult {
  qos: 0 | 1;
  baseline: { sent: number; received: number; perSecond: number };
  gateway: {
    sent: number;
    accepted: number;
    landed: number;
    loss: number;
    acceptedPerSecond: number;
    landedPerSecond: number;
  };
  ratio: number;
}

/** Bare aedes: the same publishers, one subscriber counting messages. */
async function baseline(options: IngestOptions) {
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync('cg/#', { qos: options.qos });
  const load = await loadInChild({
    url: `mqtt://127.0.0.1:${port}`,
    connections: options.connections,
    devices: benchDevices(options.devices),
    durationMs: options.durationMs,
    qos: options.qos,
  });
  const loadEnd = performance.now();
  await waitUntil(() => received >= load.sent, 10_000, 10);
  const perSecond = (received / (load.elapsedMs + (performance.now() - loadEnd))) * 1000;
  await sub.endAsync();
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
  return { sent: load.sent, received, perSecond };
}

async function throughGateway(options: IngestOptions, influxUrl: string, countPoints: () => Promise<number>) {
  const gateway = await startTestGateway(benchGatewayConfig(options.devices, { influxUrl }));
  try {
    const load = await loadInChild({
      url: `mqtt://127.0.0.1:${gateway.mqttPort}`,
      username: 'bench',
      password: 'bench',
      connections: options.connections,
      devices: benchDevices(options.devices),
      durationMs: options.durationMs,
      qos: options.qos,
    });
    // Rates count the time until the last message was taken in / landed, not just the publishing time.
    const loadEnd = performance.now();
    const accepted = async () =>
      (await gateway.metrics.messages.get()).values.reduce((s, v) => s + v.value, 0);
    await waitUntil(async () => (await accepted()) >= load.sent, 20_000, 10);
    const acceptedMs = load.elapsedMs + (performance.now() - loadEnd);
    const acceptedCount = await accepted();
    await gateway.store.flush();
    let landed = 0;
    await waitUntil(async () => (landed = await countPoints()) >= load.sent, 30_000, 100);
    const landedMs = load.elapsedMs + (performance.now() - loadEnd);
    return {
      sent: load.sent,
      accepted: acceptedCount,
      landed,
      loss: load.sent - landed,
      acceptedPerSecond: (acceptedCount / acceptedMs) * 1000,
      landedPerSecond: (landed / landedMs) * 1000,
    };
  } finally {
    await gateway.stop();
  }
}

/** Messages/s from MQTT publish to points landed in InfluxDB, against bare aedes in the same run. */
export async function benchIngest(options: IngestOptions): Promise<IngestResult> {
  const influxd = await startInfluxd();
  try {
    const base = await baseline(options);
    const count = async () =>
      (await influxd.countPoints('bench', 'access', 'locked').catch(() => 0)) +
      (await influxd.countPoints('bench', 'elevator', 'floor').catch(() => 0));
    await influxd.query('DROP DATABASE bench').catch(() => {});
    const gw = await throughGateway(options, influxd.url, count);
    return { qos: options.qos, baseline: base, gateway: gw, ratio: gw.acceptedPerSecond / base.perSecond };
  } finally {
    await influxd.dispose();
  }
}
