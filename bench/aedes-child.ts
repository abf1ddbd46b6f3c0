// The memory bench's baseline: a bare aedes broker in a process of its own, passing everything
// under cg/# to one in-process subscriber. Prints `port <n>` when ready; answers "mem" on stdin.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { answerMemoryQueries } from './memory-probe.ts';

const broker = await Aedes.createBroker();
const server = createServer({ noDelay: true }, broker.handle);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
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
process.stdout.write(`port ${(server.address() as { port: number }).port}\n`);
answerMemoryQueries();
