import { systemClock, type Clock } from '../gateway/clock.ts';
import { errorMessage, GatewayError } from '../gateway/errors.ts';
import type { Logger } from '../gateway/log.ts';
import type { CameraSimulator } from './camera.ts';
import { PUMP_FAULTS, type PumpFault } from './pump-unit.ts';
import { createRandom, hashSeed } from './random.ts';
import { passLength, type Scenario, type ScenarioEntry } from './scenario-schema.ts';

/** Faults a scenario can switch on a camera simulator. */
export const CAMERA_FAULTS = ['tamper', 'videoLoss', 'motion', 'offline', 'slow'] as const;
export type CameraFault = (typeof CAMERA_FAULTS)[number];

/** What the player drives: the simulators of `cgw demo` / `cgw simulate`, any of them left out. */
export interface ScenarioTargets {
  community?: {
    device(
      id: string,
    ): { sim: { faultNames: readonly string[] }; setFault(name: string, on: boolean): void } | undefined;
  };
  pumps?: { device(id: string): { setFault(name: PumpFault, on: boolean): void } | undefined };
  cameras?: { camera(id: string): Pick<CameraSimulator, 'set' | 'raise'> | undefined };
}

/** One fault switched on or off by the player. */
export interface ScenarioChange {
  device: string;
  fault: string;
  on: boolean;
  /** Which pass of a looping scenario (0 first). */
  pass: number;
  /** Index of the entry in `timeline`. */
  entry: number;
  /** Model ms since the player started. */
  at: number;
}

export interface ScenarioPlayerOptions {
  scenario: Scenario;
  targets: ScenarioTargets;
  log: Logger;
  /** Only `now()` is read (for `at`); waiting uses the global timers, so fake timers drive it. */
  clock?: Clock;
  /** Model time runs this many times faster than the wall clock. Default 1. */
  speed?: number;
  /** Overrides the scenario's seed (default 1 when neither gives one). */
  seed?: number;
  /** Called at every switch, after the simulator was told (the CLI prints a line). */
  onChange?: (change: ScenarioChange) => void;
}

export interface ScenarioPlayer {
  /** Starts the timeline at model time 0. Idempotent. */
  start(): void;
  /** Cancels what is pending and switches off every fault it switched on. Idempotent. */
  stop(): Promise<void>;
  /** Every switch so far, oldest first. */
  readonly history: readonly ScenarioChange[];
  readonly running: boolean;
}

type Switch = (on: boolean) => Promise<void> | void;

/**
 * Plays a fault timeline against the simulators: each entry's fault on at `at`, off `duration`
 * later, over and over when the scenario loops. Every device and fault is resolved when the player
 * is made, so a typo fails at load naming its entry (`timeline.3.fault`), not ten minutes in.
 */
export function createScenarioPlayer(options: ScenarioPlayerOptions): ScenarioPlayer {
  const { scenario } = options;
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be positive, got ${speed}`);
  const clock = options.clock ?? systemClock;
  const log = options.log.child({ module: 'scenario' });
  const switches = scenario.timeline.map((entry, i) => resolveSwitch(entry, i, options.targets));
  const seed = options.seed ?? scenario.seed ?? 1;
  const period = passLength(scenario);
  const history: ScenarioChange[] = [];
  const on = new Map<number, number>(); // entry index → pass that switched it on
  let startedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;
  let queue: Array<{ at: number; entry: number; on: boolean; pass: number }> = [];

  /** The switches of one pass, in model ms from the start, earliest first (ties: offs first). */
  const planPass = (pass: number): typeof queue => {
    const random = createRandom(hashSeed(seed, 'pass', pass));
    const offset = pass * period;
    const plan = scenario.timeline.flatMap((e, entry) => {
      const start = offset + e.at + (scenario.jitter ? Math.floor(random.uniform(0, scenario.jitter)) : 0);
      return [
        { at: start, entry, on: true, pass },
        { at: start + e.duration, entry, on: false, pass },
      ];
    });
    return plan.sort((a, b) => a.at - b.at || Number(a.on) - Number(b.on) || a.entry - b.entry);
  };

  const apply = (entry: number, value: boolean, pass: number, at: number): void => {
    const e = scenario.timeline[entry]!;
    if (value) on.set(entry, pass);
    else on.delete(entry);
    const change: ScenarioChange = { device: e.device, fault: e.fault, on: value, pass, entry, at };
    history.push(change);
    log.info({ device: e.device, fault: e.fault, on: value, pass }, 'scenario fault switched');
    try {
      const result = switches[entry]!(value);
      if (result) result.catch((err: unknown) => log.warn(`${e.device} ${e.fault}: ${errorMessage(err)}`));
    } catch (err) {
      log.warn(`${e.device} ${e.fault}: ${errorMessage(err)}`);
    }
    options.onChange?.(change);
  };

  const modelElapsed = (): number => (clock.now() - startedAt) * speed;

  const schedule = (): void => {
    if (stopped) return;
    if (queue.length === 0) {
      const next = history.length ? history[history.length - 1]!.pass + 1 : 0;
      if (next > 0 && !scenario.loop) return;
      queue = planPass(next);
    }
    const head = queue[0]!;
    const delay = Math.max(0, (head.at - modelElapsed()) / speed);
    timer = setTimeout(() => {
      // Everything due by now, in order: a late timer never reorders the timeline.
      const due = modelElapsed();
      while (queue.length && queue[0]!.at <= due + 0.5) {
        const step = queue.shift()!;
        apply(step.entry, step.on, step.pass, step.at);
      }
      schedule();
    }, delay);
  };

  return {
    get history() {
      return history;
    },
    get running() {
      return started && !stopped;
    },
    start() {
      if (started || stopped) return;
      started = true;
      startedAt = clock.now();
      log.info(
        { entries: scenario.timeline.length, loop: scenario.loop, speed, seed },
        `scenario ${scenario.name ?? ''} started`.replace('  ', ' '),
      );
      schedule();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      const pending: Array<Promise<void> | void> = [];
      for (const [entry, pass] of on) {
        const e = scenario.timeline[entry]!;
        on.delete(entry);
        history.push({ device: e.device, fault: e.fault, on: false, pass, entry, at: modelElapsed() });
        try {
          pending.push(switches[entry]!(false));
        } catch (err) {
          log.warn(`${e.device} ${e.fault}: ${errorMessage(err)}`);
        }
      }
      await Promise.allSettled(pending);
    },
  };
}

/** Finds the simulator behind an entry and the call its fault means; throws naming the entry. */
function resolveSwitch(entry: ScenarioEntry, index: number, targets: ScenarioTargets): Switch {
  const fail = (field: string, message: string): never => {
    throw new GatewayError('CGW_CONFIG_INVALID', `timeline.${index}.${field}: ${message}`, {
      context: { path: `timeline.${index}.${field}`, device: entry.device, fault: entry.fault },
    });
  };
  const { device: id, fault } = entry;
  const mqtt = targets.community?.device(id);
  if (mqtt) {
    if (!mqtt.sim.faultNames.includes(fault))
      fail('fault', `${id} has no fault "${fault}" (it knows ${mqtt.sim.faultNames.join(', ')})`);
    return (on) => mqtt.setFault(fault, on);
  }
  const pump = targets.pumps?.device(id);
  if (pump) {
    const known = PUMP_FAULTS.find((f) => f === fault);
    if (!known)
      return fail('fault', `${id} (pump) has no fault "${fault}" (it knows ${PUMP_FAULTS.join(', ')})`);
    return (on) => pump.setFault(known, on);
  }
  const camera = targets.cameras?.camera(id);
  if (camera) {
    const known = CAMERA_FAULTS.find((f) => f === fault);
    if (!known)
      return fail('fault', `${id} (camera) has no fault "${fault}" (it knows ${CAMERA_FAULTS.join(', ')})`);
    switch (known) {
      case 'tamper':
      case 'motion':
        return (on) => camera.raise(known, on);
      case 'videoLoss':
        return (on) => camera.raise('video.loss', on);
      case 'offline':
        return (on) => camera.set({ offline: on });
      case 'slow':
        return (on) => camera.set({ slowMs: on ? 3000 : 0 });
    }
  }
  return fail('device', `no simulated device "${id}"`);
}

/** The line the CLI prints: `[scenario] +02:00 door-b1-east forced on`. */
export function describeChange(change: ScenarioChange): string {
  const s = Math.round(change.at / 1000);
  const mmss = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return `[scenario] +${mmss} ${change.device} ${change.fault} ${change.on ? 'on' : 'off'}`;
}
