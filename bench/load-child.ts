// Runs the load generator in its own process, so publishers do not share an event loop with the
// broker being measured. Options arrive as JSON in argv[2]; the result leaves as JSON on stdout.
import { runLoad, type LoadOptions } from './load.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const result = await runLoad(options);
process.stdout.write(JSON.stringify(result) + '\n');
