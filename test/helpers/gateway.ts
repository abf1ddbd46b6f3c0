import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../gateway/config/schema.ts';
import { silentLogger } from '../../gateway/log.ts';
import { startGateway, type Gateway, type GatewayOptions } from '../../gateway/supervisor.ts';

/**
 * A gateway for a test or a bench: its own temp data dir, a silent log, HTTP off unless asked
 * for. `stop()` also removes the data dir.
 */
export async function startTestGateway(
  config: Config,
  options: Partial<Omit<GatewayOptions, 'config' | 'env'>> & { adminPassword?: string } = {},
): Promise<Gateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cgw-gw-'));
  const { adminPassword = 'test-admin', ...rest } = options;
  const gateway = await startGateway({
    config,
    env: { dataDir, adminPassword },
    log: silentLogger(),
    http: false,
    ...rest,
  }).catch(async (err: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  let stopping: Promise<void> | undefined;
  return {
    ...gateway,
    stop: () => (stopping ??= gateway.stop().then(() => rm(dataDir, { recursive: true, force: true }))),
  };
}
