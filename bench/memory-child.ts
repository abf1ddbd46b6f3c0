// One gateway (or a bare aedes broker, for the baseline) in a process of its own, so its RSS is its
// own. Prints `port <n>` when ready; answers "mem" on stdin with a JSON memory sample.
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Aedes } from 'aedes';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';
import { benchGatewayConfig } from './fixtures.ts';

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
  const config = benchGatewayConfig(devices, { influxUrl: influxUrl || undefined, database: 'memory' });
  const gateway = await startGateway({
    config,
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
