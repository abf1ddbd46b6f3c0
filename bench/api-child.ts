// The dashboard API bench's server side, in a process of its own so its CPU time is its own:
// `gateway <devices>` starts a listening gateway with that many MQTT devices; `fastify <file>`
// serves the JSON in <file>, pre-serialised, from a bare fastify route (the baseline). Prints
// `ready <mqttPort> <httpUrl>`; answers "cpu" on stdin with process.cpuUsage() as JSON.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fastify from 'fastify';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';
import { benchGatewayConfig } from './fixtures.ts';

const [mode, arg] = process.argv.slice(2);
let ready: string;
if (mode === 'fastify') {
  const body = readFileSync(arg!, 'utf8');
  const app = fastify();
  app.get('/api/devices', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  ready = `ready 0 ${url}`;
} else {
  const config = benchGatewayConfig(Number(arg));
  const gateway = await startGateway({
    config,
    env: { dataDir: mkdtempSync(join(tmpdir(), 'cgw-api-')), adminPassword: 'bench-admin' },
    log: silentLogger(),
  });
  ready = `ready ${gateway.mqttPort} ${gateway.httpUrl}`;
}
process.stdout.write(`${ready}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') process.stdout.write(JSON.stringify(process.cpuUsage()) + '\n');
  if (line === 'exit') process.exit(0);
});
