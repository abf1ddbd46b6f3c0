// The load generator in its own process, so publishers do not share an event loop with the broker
// being measured (see runInChild in harness.ts).
import { serveInChild } from './harness.ts';
import { runLoad } from './load.ts';

serveInChild(runLoad);
