import { watchRules } from '../../rules/config-watch.ts';
import { configPathOf } from '../cli.ts';
import { loadConfigFile } from '../config/load.ts';
import { readEnv } from '../env.ts';
import { createLogger } from '../log.ts';
import { startGateway } from '../supervisor.ts';
import { untilSignalled } from './run.ts';

/** `cgw start --config F`: the production run. */
export async function start(args: string[]): Promise<number> {
  const { config: path } = configPathOf(args);
  if (!path) {
    process.stderr.write('cgw start: --config FILE is required\n');
    return 1;
  }
  const env = readEnv();
  const log = createLogger({ level: env.logLevel });
  const config = loadConfigFile(path);
  const gateway = await startGateway({ config, env, log });
  printAccess(
    gateway.httpUrl,
    gateway.mqttPort,
    loginLine(gateway.generatedAdminPassword, env.adminPassword !== undefined),
  );
  // Rules reload on SIGHUP and when the file changes; an invalid file keeps the running rules.
  const stopWatching = watchRules(path, gateway.alerts, {
    current: config,
    log: log.child({ module: 'rules' }),
  });
  return untilSignalled(log, async () => {
    stopWatching();
    await gateway.stop();
  });
}

/** The login line for `cgw start`. */
export function loginLine(generated: string | undefined, fromEnv: boolean): string {
  if (generated) return `admin / ${generated}   (generated on first start and shown only now: note it)`;
  if (fromEnv) return 'admin / the password in CGW_ADMIN_PASSWORD';
  return 'admin / the password printed on first start (delete admin.hash in the data directory for a new one)';
}

/** The lines a person needs to reach the gateway, on stdout, apart from the JSON log. */
export function printAccess(httpUrl: string | undefined, mqttPort: number, login: string): void {
  process.stdout.write(
    [
      `community-gateway is running`,
      `  dashboard: ${httpUrl ?? '(HTTP off)'}`,
      `  login:     ${login}`,
      `  MQTT:      mqtt://127.0.0.1:${mqttPort}`,
      '',
    ].join('\n'),
  );
}
