import { ensureDashboardBuilt } from '../../dashboard/build.ts';
import { ensureDebianPackages } from './debian.ts';

/**
 * Installs the real servers the system tests run against, and builds the dashboard bundle when it
 * is missing or older than its sources, once per test run.
 */
export default async function setup(): Promise<void> {
  await ensureDebianPackages([
    { binary: 'influxd', pkg: 'influxdb' },
    { binary: 'mosquitto', pkg: 'mosquitto' },
    { binary: 'mbpoll', pkg: 'mbpoll' },
    { binary: 'socat', pkg: 'socat' },
    { binary: 'chromium', pkg: 'chromium' },
  ]);
  await ensureDashboardBuilt();
}
