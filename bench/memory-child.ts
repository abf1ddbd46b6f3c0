// One gateway in a process of its own, so its RSS is its own. Prints `port <n>` when ready;
// answers "mem" on stdin with a JSON memory sample. Run as a bundle with the production flags
// (bench/memory.ts), as bin/cgw.mjs runs the gateway.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';
import { benchGatewayConfig } from './fixtures.ts';
import { answerMemoryQueries } from './memory-probe.ts';

const [devicesArg, influxUrl] = process.argv.slice(2);
const config = benchGatewayConfig(Number(devicesArg), {
  influxUrl: influxUrl || undefined,
  database: 'memory',
});
const gateway = await startGateway({
  config,
  env: { dataDir: mkdtempSync(join(tmpdir(), 'cgw-mem-')), adminPassword: 'bench' },
  log: silentLogger(),
});
process.stdout.write(`port ${gateway.mqttPort}\n`);
answerMemoryQueries();
