// One gateway (or a bare aedes broker, for the baseline) in a process of its own, so its RSS is its
// own. Prints `port <n>` when ready; answers "mem" on stdin with a JSON memory sample.
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Aedes } from 'aedes';
import { parseConfigObject } from '../gateway/config/load.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';

const [mode, devicesArg, influxUrl] = process.argv.slice(2);
const devices = Number(devicesArg);
let port: number;
if (mode === 'aedes') {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  let received = 0;
  broker.subscribe(
    'cg/#',
    (_p, cb) => {
      received++;
      setImmediate(cb);
    },
    () => {},
  );
  setInterval(() => void received, 60_000).unref();
} else {
  const result = parseConfigObject({
    site: 'bench',
    mqtt: { port: 0, users: [{ username: 'bench', password: 'bench', publish: ['cg/bench/#'] }] },
    http: { port: 0 },
    ...(influxUrl ? { influx: { url: influxUrl, database: 'memory' } } : {}),
    devices: Array.from({ length: devices }, (_, i) => ({
      id: `dev-${i}`,
      kind: i % 2 ? 'elevator' : 'access',
      protocol: 'mqtt',
      password: `pw-${i}`,
      labels: { building: `b${i % 20}` },
    })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const gateway = await startGateway({
    config: result.config,
    env: { dataDir: mkdtempSync(join(tmpdir(), 'cgw-mem-')), adminPassword: 'bench' },
    log: silentLogger(),
  });
  port = gateway.mqttPort;
}
process.stdout.write(`port ${port}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'mem') {
    global.gc?.();
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }) + '\n');
  }
  if (line === 'exit') process.exit(0);
});
