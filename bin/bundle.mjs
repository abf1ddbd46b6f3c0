// Which code bin/cgw.mjs runs: the production bundle while it is fresh, else the sources.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The V8 flags the gateway runs with: the shebang of bin/cgw.mjs and the npm scripts carry them
 * (test/bundle.test.ts checks), the memory bench passes them to what it measures.
 */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * The path of `dist/cgw.mjs` when it exists and is newer than every source it was built from
 * (listed in `dist/inputs.json` by scripts/build.ts); undefined when it is missing or stale, or
 * when CGW_FROM_SOURCE=1 asks for the sources.
 */
export function freshBundle(root, env = process.env) {
  if (env.CGW_FROM_SOURCE === '1') return undefined;
  const bundle = join(root, 'dist', 'cgw.mjs');
  try {
    const builtAt = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(join(root, 'dist', 'inputs.json'), 'utf8'));
    if (!Array.isArray(inputs) || inputs.length === 0) return undefined;
    for (const input of inputs) if (statSync(join(root, input)).mtimeMs > builtAt) return undefined;
    return bundle;
  } catch {
    return undefined; // missing bundle, list or source: run the sources
  }
}
