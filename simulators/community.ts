import { systemClock, type Clock } from '../gateway/clock.ts';
import type { Config } from '../gateway/config/schema.ts';
import type { Logger } from '../gateway/log.ts';
import type { DeviceKind } from '../gateway/types.ts';
import { DeviceRunner, emptyCounters, type PublishCounters } from './device-runner.ts';
import { createDoorSimulator, type DoorSimulator, type DoorSimulatorOptions } from './door.ts';
import {
  createElevatorSimulator,
  type ElevatorSimulator,
  type ElevatorSimulatorOptions,
} from './elevator.ts';
import { MqttDeviceClient } from './mqtt-device.ts';
import { hashSeed } from './random.ts';

/** The simulators this module can bring to life, by device kind. */
export type CommunitySimulator = DoorSimulator | ElevatorSimulator;

export interface SimulatedCommunityOptions {
  config: Config;
  /** `mqtt://127.0.0.1:1883` */
  brokerUrl: string;
  /** Same seed, same community: every device's stream derives from it and the device id. */
  seed?: number;
  /** Model time runs this many times faster than the wall clock (the day's rhythm, lift travel). Default 1. */
  speed?: number;
  log: Logger;
  /** Only these kinds; default every kind there is a simulator for. */
  only?: readonly DeviceKind[];
  /** Real milliseconds between model steps. Default 250. */
  tickMs?: number;
  clock?: Clock;
  /** Model time at start, epoch ms (e.g. 07:55 for a morning-rush demo). Default: now. */
  startAt?: number;
  /** Plain passwords for devices whose config holds only a `scrypt$…` hash. */
  passwords?: Readonly<Record<string, string>>;
  door?: Partial<Omit<DoorSimulatorOptions, 'id' | 'startAt' | 'seed'>>;
  elevator?: Partial<Omit<ElevatorSimulatorOptions, 'id' | 'startAt' | 'seed'>>;
  reconnectPeriodMs?: number;
}

/** One running device. */
export interface SimulatedDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly sim: CommunitySimulator;
  readonly connected: boolean;
  /** Throws a RangeError for a fault this kind of device does not have. */
  setFault(name: string, on: boolean): void;
  counters(): PublishCounters;
}

export interface SimulatedCommunity {
  /**
   * Starts the clock and every device's connection. Resolves at once: a broker that is down (or
   * not up yet) is retried in the background, never waited for; see `waitConnected`. Idempotent;
   * a stopped community stays stopped.
   */
  start(): Promise<void>;
  /** Clean stop of every device (retained offline status, DISCONNECT) and the clock. Idempotent. */
  stop(): Promise<void>;
  /** The broker is about to stop on purpose: the devices keep quiet about losing it. */
  expectBrokerGone(): void;
  device(id: string): SimulatedDevice | undefined;
  devices(): SimulatedDevice[];
  /** Totals over every device. */
  counters(): PublishCounters;
  /** Resolves true once every device not switched `offline` is connected, false after the timeout. */
  waitConnected(timeoutMs: number): Promise<boolean>;
}

type MqttDevice = Extract<Config['devices'][number], { protocol: 'mqtt' }>;
type Factory = (device: MqttDevice, seed: number, startAt: number) => CommunitySimulator;

/** An explicit registry (no folder scanning): pumps and cameras come with their own issues. */
function factories(options: SimulatedCommunityOptions): Partial<Record<DeviceKind, Factory>> {
  return {
    access: (device, seed, startAt) => createDoorSimulator({ ...options.door, id: device.id, seed, startAt }),
    elevator: (device, seed, startAt) =>
      createElevatorSimulator({ ...options.elevator, id: device.id, seed, startAt }),
  };
}

/**
 * Brings every MQTT door controller and lift of a gateway config to life, each with its own MQTT
 * connection and credentials: what `cgw simulate` and `cgw demo` run.
 */
export function createSimulatedCommunity(options: SimulatedCommunityOptions): SimulatedCommunity {
  const log = options.log.child({ module: 'simulate' });
  const clock = options.clock ?? systemClock;
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be positive, got ${speed}`);
  const tickMs = Math.max(10, options.tickMs ?? 250);
  const seed = options.seed ?? 1;
  const registry = factories(options);
  const wallAtStart = clock.now();
  const startAt = options.startAt ?? wallAtStart;
  const runners = new Map<string, DeviceRunner<CommunitySimulator>>();

  for (const device of options.config.devices) {
    const factory = registry[device.kind];
    if (device.protocol !== 'mqtt' || !factory || (options.only && !options.only.includes(device.kind))) {
      log.debug({ device: device.id, kind: device.kind, protocol: device.protocol }, 'not simulated here');
      continue;
    }
    const password = options.passwords?.[device.id] ?? device.password;
    if (password.startsWith('scrypt$')) {
      log.warn(
        { device: device.id },
        'config holds only a password hash; pass the plain password to simulate it',
      );
      continue;
    }
    const sim = factory(device, hashSeed(seed, device.id), startAt);
    const client = new MqttDeviceClient({
      brokerUrl: options.brokerUrl,
      deviceId: device.id,
      password,
      site: device.site,
      kind: device.kind,
      prefix: options.config.mqtt.prefix,
      log,
      reconnectPeriodMs: options.reconnectPeriodMs,
    });
    runners.set(device.id, new DeviceRunner(sim, client, log));
  }

  const view = (runner: DeviceRunner<CommunitySimulator>): SimulatedDevice => ({
    id: runner.sim.id,
    kind: runner.sim.kind,
    sim: runner.sim,
    get connected() {
      return runner.client.connected;
    },
    setFault: (name, on) => runner.setFault(name, on),
    counters: () => runner.counters(),
  });

  // Model time and the published `ts` are tied: at speed 1 they are the wall clock.
  const modelNow = (): number => startAt + (clock.now() - wallAtStart) * speed;
  const toWallTs = (at: number): number => wallAtStart + (at - startAt) / speed;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;
  const failing = new Set<string>();

  const tick = (): void => {
    const now = modelNow();
    for (const runner of runners.values()) {
      try {
        runner.tick(now, toWallTs);
        failing.delete(runner.sim.id);
      } catch (err) {
        // One broken model must not stop the community; say so once, not every tick.
        if (!failing.has(runner.sim.id)) log.error({ err, device: runner.sim.id }, 'simulator step failed');
        failing.add(runner.sim.id);
      }
    }
  };

  return {
    async start() {
      if (started || stopping) return;
      started = true;
      log.info({ devices: runners.size, broker: options.brokerUrl, speed }, 'simulated community starting');
      for (const runner of runners.values()) runner.start();
      timer = setInterval(tick, tickMs);
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        timer = undefined;
        await Promise.all([...runners.values()].map((r) => r.stop()));
        log.info('simulated community stopped');
      })();
      return stopping;
    },
    expectBrokerGone() {
      for (const runner of runners.values()) runner.client.expectBrokerGone();
    },
    device(id) {
      const runner = runners.get(id);
      return runner && view(runner);
    },
    devices: () => [...runners.values()].map(view),
    counters() {
      const total = emptyCounters();
      for (const runner of runners.values()) {
        const c = runner.counters();
        total.telemetry += c.telemetry;
        total.event += c.event;
        total.raw += c.raw;
        total.dropped += c.dropped;
      }
      return total;
    },
    async waitConnected(timeoutMs) {
      const waits = [...runners.values()]
        .filter((r) => !r.sim.activeFaults().includes('offline'))
        .map((r) => r.client.waitConnected(timeoutMs));
      return (await Promise.all(waits)).every(Boolean);
    },
  };
}
