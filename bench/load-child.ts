// Runs the load generator in its own process, so publishers do not share an event loop with the
// broker being measured. Options arrive over IPC (10,000 devices overflow an argv string); the
// result leaves as JSON on stdout.
import { runLoad, type LoadOptions } from './load.ts';

process.once('message', (options: LoadOptions) => {
  runLoad(options).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + '\n');
      process.disconnect();
    },
    (err: unknown) => {
      process.stderr.write(`load generator failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
