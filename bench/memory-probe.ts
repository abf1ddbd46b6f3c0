import { createInterface } from 'node:readline';

/** Answers "mem" on stdin with a JSON memory sample (after a GC when --expose-gc); "exit" exits. */
export function answerMemoryQueries(): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'mem') {
      global.gc?.();
      const m = process.memoryUsage();
      process.stdout.write(
        JSON.stringify({
          rss: m.rss,
          heapUsed: m.heapUsed,
          heapTotal: m.heapTotal,
          external: m.external,
          ab: m.arrayBuffers,
        }) + '\n',
      );
    }
    if (line === 'exit') process.exit(0);
  });
}
