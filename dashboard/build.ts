import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PACKAGE_ROOT, PUBLIC_DIR } from '../gateway/paths.ts';

const WEB_DIR = join(PACKAGE_ROOT, 'dashboard', 'web');
const THIS_FILE = join(PACKAGE_ROOT, 'dashboard', 'build.ts');

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>community-gateway</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script type="module" src="/app.js"></script>
</head>
<body>
<div id="app"></div>
<noscript>This dashboard needs JavaScript.</noscript>
</body>
</html>
`;

/**
 * Bundles the front end (`dashboard/web/main.tsx`, Preact and uPlot) into `dashboard/public/`:
 * `index.html`, `app.js`, `app.css`. No inline script or style, so the page runs under
 * `script-src 'self'`.
 */
export async function buildDashboard(options: { minify?: boolean } = {}): Promise<void> {
  await mkdir(PUBLIC_DIR, { recursive: true });
  await build({
    entryPoints: { app: join(WEB_DIR, 'main.tsx') },
    outdir: PUBLIC_DIR,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await writeFile(join(PUBLIC_DIR, 'index.html'), INDEX_HTML);
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? await newestMtime(path) : (await stat(path)).mtimeMs;
    newest = Math.max(newest, time);
  }
  return newest;
}

/** True when the bundle is missing or older than any source in `dashboard/web/` or this file. */
export async function bundleIsStale(): Promise<boolean> {
  const built = await Promise.all(
    ['index.html', 'app.js', 'app.css'].map((f) =>
      stat(join(PUBLIC_DIR, f)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  const oldest = Math.min(...built);
  if (oldest === 0) return true;
  const sources = Math.max(await newestMtime(WEB_DIR), (await stat(THIS_FILE)).mtimeMs);
  return sources > oldest;
}

/** Builds only when `bundleIsStale()`; answers whether it built. */
export async function ensureDashboardBuilt(): Promise<boolean> {
  if (!(await bundleIsStale())) return false;
  await buildDashboard();
  return true;
}
