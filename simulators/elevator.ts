import type { Scalar } from '../gateway/types.ts';
import { DailyArrivals, flowAt, type DailyPatternOptions } from './daily-pattern.ts';
import {
  applyTransportFaults,
  faultControls,
  FaultSwitches,
  GarbageMaker,
  round,
  TRANSPORT_FAULTS,
  type DeviceSimulator,
  type SimMessage,
} from './device-simulator.ts';
import {
  brakingDistance,
  isLevel,
  moveToward,
  nearestFloor,
  nextStop,
  type Direction,
} from './elevator-car.ts';
import { Passengers } from './elevator-passengers.ts';
import { createRandom } from './random.ts';

export const ELEVATOR_FAULTS = ['entrapment', 'fault', 'doorFault', 'overload', ...TRANSPORT_FAULTS] as const;
export type ElevatorFault = (typeof ELEVATOR_FAULTS)[number];
export type ElevatorMode = 'normal' | 'inspection' | 'fire';

/** Controller fault codes the `fault` fault picks from (vendor-style: door lock, overspeed, …). */
export const ELEVATOR_FAULT_CODES = [21, 35, 42, 57] as const;

export interface ElevatorSimulatorOptions {
  id: string;
  /** Model time at creation, epoch ms. */
  startAt: number;
  seed?: number;
  /** Number of floors served (2..200). Default 18. */
  floors?: number;
  /** Number shown for the lowest floor (-2 for two basement levels). Default 1. */
  lowestFloor?: number;
  /** Floor number of the lobby. Default `lowestFloor`. */
  lobbyFloor?: number;
  floorHeightM?: number;
  ratedSpeedMps?: number;
  accelMps2?: number;
  ratedLoadKg?: number;
  /** How long the doors stay open at a stop, model ms. Default 4 s. */
  doorOpenMs?: number;
  /**
   * Periodic telemetry interval, model ms; changes of doors, motion, mode and fault are sent at
   * once too. Default 1.5 s.
   */
  intervalMs?: number;
  /** Passengers per hour at the morning peak. Default 120. */
  callsPerHourAtPeak?: number;
  /** A trapped car reports `elevator.entrapment` after this long, model ms. Default 15 s. */
  entrapmentAfterMs?: number;
  /** The code the `fault` fault reports; default one of ELEVATOR_FAULT_CODES. */
  faultCode?: number;
  pattern?: DailyPatternOptions;
}

export interface ElevatorState {
  floor: number;
  positionM: number;
  speedMps: number;
  direction: Direction;
  doorOpen: boolean;
  moving: boolean;
  loadKg: number;
  mode: ElevatorMode;
  faultCode: number;
  passengers: number;
  waiting: number;
}

export interface ElevatorSimulator extends DeviceSimulator<ElevatorFault> {
  readonly kind: 'elevator';
  /** Fire service sends the car to the lobby and parks it open; inspection stops taking calls. */
  setMode(mode: ElevatorMode): void;
  state(): ElevatorState;
}

const STEP_MS = 100;
const MAX_STEPS_PER_CALL = 36_000; // one model hour; a longer jump skips ahead instead

/** A traction lift in a residential tower: a model with no I/O of its own. */
export function createElevatorSimulator(options: ElevatorSimulatorOptions): ElevatorSimulator {
  const random = createRandom(options.seed ?? 1);
  const floors = Math.min(200, Math.max(2, Math.round(options.floors ?? 18)));
  const lowest = options.lowestFloor ?? 1;
  const lobby = Math.min(floors - 1, Math.max(0, (options.lobbyFloor ?? lowest) - lowest));
  const h = options.floorHeightM ?? 3;
  const ratedSpeed = options.ratedSpeedMps ?? 1.75;
  const accel = options.accelMps2 ?? 0.9;
  const ratedLoad = options.ratedLoadKg ?? 1000;
  const doorOpenMs = options.doorOpenMs ?? 4_000;
  const intervalMs = Math.max(100, options.intervalMs ?? 1_500);
  const entrapmentAfterMs = options.entrapmentAfterMs ?? 15_000;
  const pattern = options.pattern ?? {};
  const faults = new FaultSwitches<ElevatorFault>(ELEVATOR_FAULTS);
  const garbage = new GarbageMaker(random.fork('garbage'));
  const arrivals = new DailyArrivals(
    random.fork('calls'),
    options.callsPerHourAtPeak ?? 120,
    options.startAt,
    pattern,
  );
  const people = random.fork('people');
  const pax = new Passengers(floors, ratedLoad);

  let t = options.startAt;
  let motion = { positionM: lobby * h, speedMps: 0 };
  let phase: 'idle' | 'moving' | 'doors' = 'idle';
  let dir: Direction = 'idle';
  let target: number | undefined;
  let doorsCloseAt = 0;
  let mode: ElevatorMode = 'normal';
  let pendingMode: ElevatorMode | undefined;
  let faultCode = 0;
  let entrappedAt: number | undefined;
  let entrapmentReported = false;
  let nextTelemetryAt = options.startAt + random.uniform(0, intervalMs);
  let lastSignature = '';

  const here = (): number => nearestFloor(motion.positionM, h, floors);
  /** Landing calls are answered only in normal service, without a fault, when not overloaded. */
  const hall = (): boolean => mode === 'normal' && faultCode === 0 && pax.load() <= ratedLoad;
  const values = (): Record<string, Scalar> => ({
    floor: here() + lowest,
    direction: dir,
    door_open: phase === 'doors',
    moving: phase === 'moving',
    load_kg: round(pax.load(), 1),
    speed_mps: round(motion.speedMps, 2),
    mode,
    fault_code: faultCode,
  });
  const emit = (out: SimMessage[], type: string, data: Record<string, Scalar>): void => {
    out.push({ channel: 'event', at: t, type, data: { floor: here() + lowest, ...data } });
  };

  const stops = (): Set<number> => {
    if (entrappedAt !== undefined || mode === 'inspection') return new Set();
    if (mode === 'fire') return new Set([lobby]);
    const s = pax.stops(hall());
    // Standing at a landing where nobody gets off or on our way: that landing is not a stop.
    if (
      isLevel(motion.positionM, h) &&
      !pax.wants(here(), pax.serviceDirection(here(), dir, hall()), hall())
    ) {
      s.delete(here());
    }
    return s;
  };

  const exchange = (): void => {
    pax.board(here(), pax.serviceDirection(here(), dir, hall()));
    dir = pax.serviceDirection(here(), dir, hall());
  };

  const openDoors = (): void => {
    phase = 'doors';
    target = undefined;
    doorsCloseAt = t + doorOpenMs;
    pax.alight(here(), mode === 'fire' && here() === lobby);
    exchange();
  };

  const arrive = (at: number): void => {
    const flow = flowAt(at, pattern);
    const kind = people.weighted([
      ['down', flow.toLobby],
      ['up', flow.fromLobby],
      ['inter', flow.interfloor],
    ] as const);
    const upper = (): number => {
      const f = people.int(0, floors - 2);
      return f >= lobby ? f + 1 : f;
    };
    const origin = kind === 'up' ? lobby : upper();
    let dest = kind === 'down' ? lobby : upper();
    if (dest === origin) dest = origin === lobby ? upper() : lobby;
    pax.call(origin, dest, people.normal(70, 14, 20, 130));
  };

  const substep = (dtMs: number): void => {
    if (entrappedAt !== undefined) return;
    if (phase === 'doors') {
      pax.overload(faults.has('overload'), people);
      exchange();
      const parked = mode === 'fire' && here() === lobby;
      const canClose = !faults.has('doorFault') && pax.load() <= ratedLoad && !parked;
      if (t >= doorsCloseAt && canClose) phase = 'idle';
      return;
    }
    if (phase === 'idle') {
      const level = isLevel(motion.positionM, h);
      const s = stops();
      if (level && (s.has(here()) || faults.has('overload'))) return openDoors();
      target = nextStop(s, motion.positionM, dir, h) ?? (level ? undefined : here());
      if (target === undefined) {
        dir = 'idle';
        return;
      }
      dir = target * h > motion.positionM ? 'up' : 'down';
      phase = 'moving';
    }
    // Take a stop on the way if someone there goes our way and the car can still brake for it.
    const onTheWay = nextStop(stops(), motion.positionM, dir, h, brakingDistance(motion.speedMps, accel));
    if (onTheWay !== undefined && target !== undefined && pax.wants(onTheWay, dir, hall())) {
      const ahead = dir === 'up' ? onTheWay * h > motion.positionM : onTheWay * h < motion.positionM;
      const closer = Math.abs(onTheWay * h - motion.positionM) < Math.abs(target * h - motion.positionM);
      if (ahead && closer) target = onTheWay;
    }
    const maxSpeedMps = mode === 'inspection' ? Math.min(0.3, ratedSpeed) : ratedSpeed;
    const result = moveToward(motion, (target ?? here()) * h, dtMs / 1000, { maxSpeedMps, accelMps2: accel });
    motion = result.motion;
    if (result.arrived) openDoors();
  };

  const onFault = (name: ElevatorFault, on: boolean, out: SimMessage[]): void => {
    if (name === 'entrapment') {
      entrappedAt = on ? t : undefined;
      entrapmentReported = false;
      phase = 'idle';
      if (!on) return;
      // The car stalls between floors with someone inside and the doors shut.
      if (pax.riders().length === 0) pax.car.push({ dest: lobby, kg: people.normal(70, 12, 40, 120) });
      if (isLevel(motion.positionM, h)) motion.positionM += (here() < floors - 1 ? 0.4 : -0.4) * h;
      motion = { positionM: motion.positionM, speedMps: 0 };
      dir = 'idle';
    } else if (name === 'fault') {
      faultCode = on ? (options.faultCode ?? random.pick(ELEVATOR_FAULT_CODES)) : 0;
      if (on) emit(out, 'elevator.fault', { code: faultCode });
    } else if (name === 'doorFault' && on) {
      emit(out, 'elevator.door_fault', { door_open: phase === 'doors' });
    }
  };

  const telemetryIfDue = (out: SimMessage[]): void => {
    const v = values();
    const signature = `${v.door_open}|${v.moving}|${v.mode}|${v.fault_code}|${v.direction}`;
    if (t >= nextTelemetryAt || signature !== lastSignature) {
      out.push({ channel: 'telemetry', at: t, values: v });
      nextTelemetryAt = t + intervalMs;
      lastSignature = signature;
    }
  };

  const step = (now: number): SimMessage[] => {
    const out: SimMessage[] = [];
    if (pendingMode !== undefined) {
      mode = pendingMode;
      pendingMode = undefined;
    }
    for (const change of faults.drain()) onFault(change.name, change.on, out);
    // A switched fault or mode shows in telemetry at the instant it happened.
    telemetryIfDue(out);
    if (now - t > MAX_STEPS_PER_CALL * STEP_MS) t = now - MAX_STEPS_PER_CALL * STEP_MS;
    for (let i = 0; i < MAX_STEPS_PER_CALL && t < now; i++) {
      const dt = Math.min(STEP_MS, now - t);
      t += dt;
      for (const at of arrivals.take(t)) arrive(at);
      substep(dt);
      telemetryIfDue(out);
      if (entrappedAt !== undefined && !entrapmentReported && t - entrappedAt >= entrapmentAfterMs) {
        const seconds = Math.round((t - entrappedAt) / 1000);
        emit(out, 'elevator.entrapment', { load_kg: round(pax.load(), 1), seconds });
        entrapmentReported = true;
      }
    }
    return applyTransportFaults(out, faults, garbage);
  };

  return {
    id: options.id,
    kind: 'elevator',
    ...faultControls(faults),
    step,
    reportNow: () => {
      nextTelemetryAt = -Infinity;
    },
    setMode: (next) => {
      pendingMode = next;
    },
    state: () => ({
      floor: here() + lowest,
      positionM: motion.positionM,
      speedMps: motion.speedMps,
      direction: dir,
      doorOpen: phase === 'doors',
      moving: phase === 'moving',
      loadKg: pax.load(),
      mode,
      faultCode,
      passengers: pax.car.length,
      waiting: pax.waitingCount(),
    }),
  };
}
