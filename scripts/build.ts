// `npm run build` (also run by `npm install` and `npm start`): the dashboard page bundle and the
// production bundle of the gateway, `dist/cgw.mjs`, that `bin/cgw.mjs` runs while it is fresh.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildDashboard } from '../dashboard/build.ts';
import { PACKAGE_ROOT } from '../gateway/paths.ts';

const DIST = join(PACKAGE_ROOT, 'dist');

/**
 * Bundles `entry` into `<outdir>/<name>.mjs` (the folder is emptied first), as the gateway runs
 * in production; the memory bench bundles its processes with it too. Dynamic imports become
 * chunks loaded when needed (the CLI's commands, the Modbus and ONVIF adapters): a gateway loads
 * only the protocol libraries its devices use. Packages stay imports from node_modules.
 */
export async function bundleForNode(entry: string, name: string, outdir: string) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  return build({
    entryPoints: { [name]: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Names and lines kept readable for stack traces in logs.
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  });
}

/**
 * The gateway as one plain-JS ES module: no TypeScript loader at run time, which saves its
 * worker thread (about 30 MB of RSS) and the start-up transpiling. `dist/inputs.json` lists the sources it was built from, for the freshness check
 * in bin/bundle.mjs.
 */
export async function buildServer(): Promise<void> {
  const result = await bundleForNode(join(PACKAGE_ROOT, 'gateway', 'cli.ts'), 'cgw', DIST);
  const inputs = Object.keys(result.metafile.inputs).map((p) =>
    relative(PACKAGE_ROOT, join(process.cwd(), p)),
  );
  await writeFile(join(DIST, 'inputs.json'), JSON.stringify(inputs) + '\n');
}

// `node --import tsx scripts/build.ts`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  await buildDashboard();
  await buildServer();
  process.stdout.write(
    `built dashboard/public/ and dist/cgw.mjs in ${Math.round(performance.now() - started)} ms\n`,
  );
}
