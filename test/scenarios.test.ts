import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigObject } from '../gateway/config/load.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway, type Gateway } from '../gateway/supervisor.ts';
import type { Alert } from '../rules/lifecycle.ts';
import { demoRules } from '../rules/demo-rules.ts';
import { createCameraFleet, type CameraFleet } from '../simulators/camera-fleet.ts';
import { createSimulatedCommunity, type SimulatedCommunity } from '../simulators/community.ts';
import { createPumpFleet, type PumpFleet } from '../simulators/pump-fleet.ts';
import { createScenarioPlayer, type ScenarioPlayer } from '../simulators/scenario.ts';
import { parseScenario } from '../simulators/scenario-schema.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

/**
 * Every fault kind of the scenarios, played at once on different devices of one gateway running
 * the demo's rules (their `for` windows shortened so the test is quick) against the simulators.
 */
const SCENARIO = `
name: every-fault
timeline:
  - { at: 1s, device: door-1, fault: forced, duration: 2s }
  - { at: 1s, device: door-2, fault: heldOpen, duration: 6s }
  - { at: 1s, device: door-3, fault: silent, duration: 8s }
  - { at: 1s, device: door-4, fault: garbage, duration: 3s }
  - { at: 1s, device: lift-1, fault: entrapment, duration: 6s }
  - { at: 1s, device: pump-1, fault: pressureLoss, duration: 6s }
  - { at: 1s, device: pump-2, fault: overcurrentTrip, duration: 5s }
  - { at: 1s, device: cam-1, fault: tamper, duration: 3s }
  - { at: 1s, device: cam-2, fault: offline, duration: 6s }
`;

const SHORT_FOR: Record<string, string> = {
  'lift-entrapment': '30s', // the lift's own event (after 1 s here) is what fires
  'door-held-open': '30s', // likewise the door's held_open event
  'pump-low-pressure': '1s',
  'device-offline': '1s',
};

let dir: string;
let gateway: Gateway;
let community: SimulatedCommunity;
let pumps: PumpFleet;
let cameras: CameraFleet;
let player: ScenarioPlayer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-scenarios-'));
  const log = silentLogger();
  const modbusPort = await freePort();
  const mqttDevice = (id: string, kind: string, extra: Record<string, unknown> = {}) => ({
    id,
    kind,
    protocol: 'mqtt',
    password: `${id}-secret`,
    ...extra,
  });
  const pump = (id: string, unitId: number) => ({
    id,
    kind: 'pump',
    protocol: 'modbus',
    modbus: {
      host: '127.0.0.1',
      port: modbusPort,
      unitId,
      profile: 'booster-pump-v1',
      pollMs: 200,
      timeoutMs: 300,
    },
  });
  const camera = (id: string) => ({
    id,
    kind: 'camera',
    protocol: 'onvif',
    onvif: {
      xaddr: 'http://127.0.0.1:0/onvif/device_service',
      username: 'admin',
      password: `${id}-pw`,
      healthMs: '200ms',
      timeoutMs: '300ms',
      failuresBeforeOffline: 1,
      pullTimeoutMs: '1s',
      subscriptionTtlMs: '3s',
    },
  });
  const rules = demoRules().map((r) => {
    const short = typeof r.template === 'string' ? SHORT_FOR[r.template] : undefined;
    return short ? { ...r, params: { ...(r.params as object), for: short } } : r;
  });
  const parsed = parseConfigObject({
    site: 'test-court',
    mqtt: { port: 0 },
    http: { port: 0 },
    devices: [
      mqttDevice('door-1', 'access'),
      mqttDevice('door-2', 'access'),
      mqttDevice('door-3', 'access', { offlineAfter: '2s' }),
      mqttDevice('door-4', 'access'),
      mqttDevice('lift-1', 'elevator'),
      pump('pump-1', 1),
      pump('pump-2', 2),
      camera('cam-1'),
      camera('cam-2'),
    ],
    rules,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  // A weekday morning: the booster sets are running (a sleeping pump has no pressure alert).
  const morning = new Date().setHours(8, 0, 0, 0);
  cameras = createCameraFleet({ config: parsed.config, log, seed: 5, discoveryPort: null });
  pumps = createPumpFleet({ config: parsed.config, log, seed: 5, startAt: morning });
  await Promise.all([cameras.start(), pumps.start()]);
  gateway = await startGateway({
    config: cameras.withServedAddresses(parsed.config),
    env: { dataDir: join(dir, 'data'), adminPassword: 'admin-pw' },
    log,
  });
  community = createSimulatedCommunity({
    config: gateway.config,
    brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`,
    seed: 5,
    log,
    startAt: morning,
    tickMs: 50,
    // Quiet doors (nobody props one open by chance) that report a held door after 1 s.
    door: { accessPerHourAtPeak: 0, heldOpenAfterMs: 1000, telemetryMs: 500 },
    elevator: { callsPerHourAtPeak: 0, entrapmentAfterMs: 1000 },
  });
  await community.start();
  expect(await community.waitConnected(10_000)).toBe(true);
  await waitFor(
    () => gateway.config.devices.every((d) => gateway.registry.get(d.id)?.online === true),
    'every device online',
    15_000,
  );
  const scenario = parseScenario(SCENARIO);
  if (!scenario.ok) throw new Error(JSON.stringify(scenario.problems));
  player = createScenarioPlayer({ scenario: scenario.scenario, targets: { community, pumps, cameras }, log });
  player.start();
}, 40_000);

afterAll(async () => {
  await player?.stop();
  await community?.stop();
  await gateway?.stop();
  await Promise.all([cameras?.stop(), pumps?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const alertsOf = (device: string): Alert[] => gateway.alerts.list({}).filter((a) => a.device === device);

/** Waits for the one alert of `device` and checks it is exactly the expected rule and severity. */
async function expectAlert(device: string, rule: string, severity: string): Promise<Alert> {
  await waitFor(() => alertsOf(device).length > 0, `an alert for ${device}`, 20_000);
  const alerts = alertsOf(device);
  expect(alerts.map((a) => [a.rule, a.device, a.severity])).toEqual([[rule, device, severity]]);
  return alerts[0]!;
}

async function expectResolvedByItself(alert: Alert): Promise<void> {
  await waitFor(
    () => gateway.alerts.get(alert.id)?.state === 'resolved',
    `${alert.rule} on ${alert.device} resolved`,
    20_000,
  );
  expect(gateway.alerts.get(alert.id)?.resolvedBy).toBeNull();
}

/** Event alerts (forced door, tamper, entrapment) are cleared by a person, by design. */
async function expectManualThenResolve(alert: Alert, faultEndsAfterMs: number): Promise<void> {
  expect(alert.manual).toBe(true);
  await new Promise((r) => setTimeout(r, faultEndsAfterMs));
  expect(gateway.alerts.get(alert.id)?.state).toBe('active');
  expect(gateway.alerts.resolve(alert.id, 'duty', 'checked on site').state).toBe('resolved');
}

describe('a scenario per fault kind, played against a gateway with the demo rules', () => {
  it('door forced: door-forced (major), resolved by a person', async () => {
    const alert = await expectAlert('door-1', 'door-forced', 'major');
    await expectManualThenResolve(alert, 1000);
  });

  it('door held open: door-held-open (minor)', async () => {
    const alert = await expectAlert('door-2', 'door-held-open', 'minor');
    await expectManualThenResolve(alert, 0);
  });

  it('lift entrapment: lift-entrapment (critical)', async () => {
    const alert = await expectAlert('lift-1', 'lift-entrapment', 'critical');
    await expectManualThenResolve(alert, 0);
  });

  it('pump pressure loss: pump-low-pressure (major), resolves when the fault ends', async () => {
    await expectResolvedByItself(await expectAlert('pump-1', 'pump-low-pressure', 'major'));
  });

  it('pump overcurrent trip: pump-trip (major), resolves when the drive is reset', async () => {
    await expectResolvedByItself(await expectAlert('pump-2', 'pump-trip', 'major'));
  });

  it('camera tamper: camera-tamper (major), resolved by a person', async () => {
    const alert = await expectAlert('cam-1', 'camera-tamper', 'major');
    await expectManualThenResolve(alert, 0);
  });

  it('camera offline: device-offline (minor), resolves when it is back', async () => {
    await expectResolvedByItself(await expectAlert('cam-2', 'device-offline', 'minor'));
  });

  it('door controller silent: device-offline (minor), resolves when it talks again', async () => {
    await expectResolvedByItself(await expectAlert('door-3', 'device-offline', 'minor'));
  });

  it('garbage: dead letters from that device, no alert', async () => {
    await waitFor(
      () => gateway.deadLetters.list({ deviceId: 'door-4' }).length >= 2,
      'dead letters of door-4',
    );
    expect(alertsOf('door-4')).toEqual([]);
    expect(gateway.deadLetters.list({ deviceId: 'door-1' })).toEqual([]);
  });

  it('no other alert fired anywhere', () => {
    const fired = gateway.alerts.list({}).map((a) => `${a.device} ${a.rule}`);
    expect(fired.sort()).toEqual([
      'cam-1 camera-tamper',
      'cam-2 device-offline',
      'door-1 door-forced',
      'door-2 door-held-open',
      'door-3 device-offline',
      'lift-1 lift-entrapment',
      'pump-1 pump-low-pressure',
      'pump-2 pump-trip',
    ]);
  });

  it('the player switched every fault on and then off', () => {
    const offs = player.history.filter((c) => !c.on).map((c) => c.device);
    expect(new Set(offs)).toEqual(
      new Set(['door-1', 'door-2', 'door-3', 'door-4', 'lift-1', 'pump-1', 'pump-2', 'cam-1', 'cam-2']),
    );
  });
});
