import { freshBundle } from '../../bin/bundle.mjs';
import { ensureDashboardBuilt } from '../../dashboard/build.ts';
import { PACKAGE_ROOT } from '../../gateway/paths.ts';
import { buildServer } from '../../scripts/build.ts';
import { ensureDebianPackages, hasCjkFont } from './debian.ts';

/**
 * Installs the real servers the system tests run against, and builds the dashboard bundle and
 * the gateway's production bundle when missing or older than their sources, once per test run.
 */
export default async function setup(): Promise<void> {
  await ensureDebianPackages([
    { binary: 'influxd', pkg: 'influxdb' },
    { binary: 'mosquitto', pkg: 'mosquitto' },
    { binary: 'mbpoll', pkg: 'mbpoll' },
    { binary: 'socat', pkg: 'socat' },
    { binary: 'chromium', pkg: 'chromium' },
    // For the browser tests' screenshots (the README's pictures).
    { pkg: 'fonts-wqy-microhei', present: hasCjkFont },
  ]);
  await ensureDashboardBuilt();
  // The CLI tests run bin/cgw.mjs, i.e. the production bundle: rebuilt when a source changed.
  if (!freshBundle(PACKAGE_ROOT)) await buildServer();
}
