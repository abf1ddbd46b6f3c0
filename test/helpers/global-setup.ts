import { ensureDebianPackages } from './debian.ts';

/** Installs the real servers the system tests run against, once per test run. */
export default async function setup(): Promise<void> {
  await ensureDebianPackages([
    { binary: 'influxd', pkg: 'influxdb' },
    { binary: 'mosquitto', pkg: 'mosquitto' },
    { binary: 'mbpoll', pkg: 'mbpoll' },
    { binary: 'socat', pkg: 'socat' },
    { binary: 'chromium', pkg: 'chromium' },
  ]);
}
