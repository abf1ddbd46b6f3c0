// The dashboard API bench's server side, in a process of its own so its CPU time is its own:
// `gateway <devices>` starts a listening gateway with that many MQTT devices; `fastify <file>`
// serves the JSON in <file>, pre-serialised, from a bare fastify route (the baseline). Prints
// `ready <mqttPort> <httpUrl>`; answers "cpu" on stdin with process.cpuUsage() as JSON.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fastify from 'fastify';
import { parseConfigObject } from '../gateway/config/load.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';

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
  const devices = Number(arg);
  const result = parseConfigObject({
    site: 'bench',
    mqtt: { port: 0, users: [{ username: 'bench', password: 'bench', publish: ['cg/bench/#'] }] },
    http: { port: 0 },
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
