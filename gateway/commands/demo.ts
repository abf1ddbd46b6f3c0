import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createCameraFleet } from '../../simulators/camera-fleet.ts';
import { createSimulatedCommunity } from '../../simulators/community.ts';
import { createPumpFleet } from '../../simulators/pump-fleet.ts';
import {
  createScenarioPlayer,
  describeChange,
  type ScenarioPlayer,
  type ScenarioTargets,
} from '../../simulators/scenario.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { loadScenarioFile, type Scenario } from '../../simulators/scenario-schema.ts';
import { technicianView, WebhookReceiver } from '../../simulators/webhook-receiver.ts';
import { generatePassword } from '../auth/password.ts';
import { readEnv } from '../env.ts';
import { createLogger, type Logger } from '../log.ts';
import { startGateway } from '../supervisor.ts';
import { demoConfig } from './demo-config.ts';
import { untilSignalled } from './run.ts';
import { printAccess } from './start.ts';

/**
 * `cgw demo` (what `npm start` runs): the gateway with the built-in demo config, the embedded
 * broker and store, and a simulated community publishing to it.
 */
export async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      speed: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      'no-scenario': { type: 'boolean' },
    },
  });
  const speed = values.speed ? Number(values.speed) : 1;
  if (!Number.isFinite(speed) || speed <= 0) {
    process.stderr.write(`cgw demo: --speed must be a positive number, not "${values.speed}"\n`);
    return 1;
  }
  // Read before anything starts: a broken scenario file is an error, not a half-started demo.
  const scenario = values['no-scenario'] ? undefined : loadScenarioFile(values.scenario ?? DEFAULT_SCENARIO);
  const env = readEnv();
  // The demo always knows its admin password, so it can print it on every start.
  const adminPassword = env.adminPassword ?? generatePassword();
  const log = createLogger({ level: env.logLevel ?? 'warn' });
  // The technicians' chat robot: prints what a technician on duty would read on the phone.
  const webhookSecret = generatePassword();
  const chat = new WebhookReceiver({
    secret: webhookSecret,
    onReceive: (hook) => process.stdout.write(technicianView(hook)),
  });
  await chat.start();
  const config = demoConfig({ webhook: { url: chat.url, secret: webhookSecret } });
  // Cameras first, on free ports: the gateway gets their real addresses and finds them up.
  const cameras = createCameraFleet({
    config,
    log: log.child({ module: 'simulator' }),
    seed: seedOf(values.seed),
    autoEvents: { motionMeanMs: 90_000 / speed, tamperMeanMs: 1_800_000 / speed },
  });
  await cameras.start();
  const pumps = createPumpFleet({
    config,
    log: log.child({ module: 'simulator' }),
    seed: seedOf(values.seed),
    speed,
  });
  await pumps.start();
  const gateway = await startGateway({
    config: cameras.withServedAddresses(config),
    env: { ...env, adminPassword },
    log,
  });
  const community = createSimulatedCommunity({
    config: gateway.config,
    brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`,
    seed: seedOf(values.seed),
    speed,
    log: log.child({ module: 'simulator' }),
  });
  await community.start();
  const stopAll = async (): Promise<void> => {
    await player?.stop();
    // The gateway first: devices leaving as the demo stops are no fault to alert on, and they
    // know the broker goes away on purpose.
    community.expectBrokerGone();
    await gateway.stop();
    await community.stop();
    await cameras.stop();
    await pumps.stop();
    await chat.stop();
  };
  let player: ScenarioPlayer | undefined;
  try {
    player =
      scenario &&
      cliScenarioPlayer(scenario, { community, pumps, cameras }, { speed, seed: values.seed, log });
  } catch (err) {
    // A scenario naming a device the demo does not have: stop what runs, then say which entry.
    await stopAll();
    throw err;
  }
  player?.start();
  printAccess(
    gateway.httpUrl,
    gateway.mqttPort,
    env.adminPassword
      ? 'admin / the password in CGW_ADMIN_PASSWORD'
      : `admin / ${adminPassword}   (new for this demo run)`,
  );
  process.stdout.write(
    `  simulated: ${gateway.config.devices.length} devices of site ${gateway.config.site}; Ctrl-C stops\n`,
  );
  if (scenario)
    process.stdout.write(
      `  scenario: ${scenario.name ?? values.scenario}, ${scenario.timeline.length} faults${scenario.loop ? ', looping' : ''}\n`,
    );
  return untilSignalled(log, stopAll);
}

/** What `cgw demo` plays unless `--scenario F` or `--no-scenario` says otherwise. */
export const DEFAULT_SCENARIO = join(PACKAGE_ROOT, 'simulators', 'scenarios', 'default.yaml');

/** The player of `cgw demo` and `cgw simulate`: one printed line per fault switched. */
export function cliScenarioPlayer(
  scenario: Scenario,
  targets: ScenarioTargets,
  options: { speed: number; seed: string | undefined; log: Logger },
): ScenarioPlayer {
  return createScenarioPlayer({
    scenario,
    targets,
    speed: options.speed,
    // `--seed` reseeds the scenario too; without it the file's own seed holds.
    ...(options.seed !== undefined ? { seed: seedOf(options.seed) } : {}),
    log: options.log,
    onChange: (change) => process.stdout.write(`${describeChange(change)}\n`),
  });
}

/** `--seed` as a number; any other text is hashed, so `--seed demo-2` works too. */
export function seedOf(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (Number.isInteger(n)) return n;
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619);
  return h >>> 0;
}
