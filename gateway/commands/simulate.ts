import { parseArgs } from 'node:util';
import { createCameraFleet } from '../../simulators/camera-fleet.ts';
import { createSimulatedCommunity } from '../../simulators/community.ts';
import { createPumpFleet } from '../../simulators/pump-fleet.ts';
import { loadScenarioFile } from '../../simulators/scenario-schema.ts';
import { loadConfigFile } from '../config/load.ts';
import { readEnv } from '../env.ts';
import { createLogger } from '../log.ts';
import { cliScenarioPlayer, seedOf } from './demo.ts';
import { untilSignalled } from './run.ts';

/**
 * `cgw simulate --config F [--broker URL] [--seed S] [--speed N] [--scenario S]`: every device of a
 * gateway config comes to life against the configured broker (by default the gateway's own on
 * 127.0.0.1), optionally playing a fault timeline.
 */
export async function simulate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      broker: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      scenario: { type: 'string' },
    },
  });
  if (!values.config) {
    process.stderr.write('cgw simulate: --config FILE is required\n');
    return 1;
  }
  const env = readEnv();
  const log = createLogger({ level: env.logLevel });
  const config = loadConfigFile(values.config);
  const scenario = values.scenario ? loadScenarioFile(values.scenario) : undefined;
  const brokerUrl = values.broker ?? `mqtt://127.0.0.1:${env.mqttPort ?? config.mqtt.port}`;
  const speed = values.speed ? Number(values.speed) : 1;
  if (!Number.isFinite(speed) || speed <= 0) {
    process.stderr.write(`cgw simulate: --speed must be a positive number, not "${values.speed}"\n`);
    return 1;
  }
  const community = createSimulatedCommunity({
    config,
    brokerUrl,
    seed: seedOf(values.seed),
    speed,
    log,
  });
  // ONVIF cameras on their xaddr ports (loopback only), WS-Discovery on 127.0.0.1:3702.
  const cameras = createCameraFleet({ config, log, seed: seedOf(values.seed) });
  // A Modbus server on each pump's host:port (loopback only), every unit id with its map.
  const pumps = createPumpFleet({ config, log, seed: seedOf(values.seed), speed });
  // Made before anything listens: an entry naming a device that is not simulated fails here.
  const player =
    scenario && cliScenarioPlayer(scenario, { community, pumps, cameras }, { speed, seed: values.seed, log });
  await community.start();
  await cameras.start();
  await pumps.start();
  player?.start();
  process.stdout.write(`simulating ${config.devices.length} devices against ${brokerUrl}; Ctrl-C stops\n`);
  return untilSignalled(log, async () => {
    await player?.stop();
    await cameras.stop();
    await pumps.stop();
    await community.stop();
  });
}
