import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root folder (where package.json is). Files shipped beside the code — the demo
 * scenario, the dashboard bundle — are found from here, so the same code works from the sources
 * (`gateway/…`) and from the production bundle (`dist/cgw.mjs`), where every module shares one
 * `import.meta.url`.
 */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return dirname(from); // not in a package: the layout's own guess
  }
}

/** The dashboard page bundle `dashboard/build.ts` writes and fastify serves. */
export const PUBLIC_DIR = join(PACKAGE_ROOT, 'dashboard', 'public');
