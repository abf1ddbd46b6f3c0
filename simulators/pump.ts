import { ServerTCP } from 'modbus-serial';
import type { ProfileName } from '../adapters/modbus/profiles/index.ts';
import type { RegisterEntry } from '../adapters/modbus/register-map.ts';
import { systemClock, type Clock } from '../gateway/clock.ts';
import type { PumpModelKind } from './pump-model.ts';
import { PumpUnit, type PumpBehaviours, type PumpFault, type RequestCounts } from './pump-unit.ts';
import { createPumpVector, type PumpVector } from './pump-vector.ts';
import { hashSeed } from './random.ts';

export { PUMP_FAULTS, type PumpBehaviours, type PumpFault, type RequestCounts } from './pump-unit.ts';
export type { PumpUnit } from './pump-unit.ts';

/** One pump behind the server. */
export interface PumpUnitSpec {
  unitId: number;
  /** Default `booster-pump-v1` when no `registers` map is given. */
  profile?: ProfileName;
  registers?: readonly RegisterEntry[];
  model?: PumpModelKind;
  behaviours?: PumpBehaviours;
}

/** What the TCP and the RTU simulator share. */
export interface PumpUnitsOptions {
  /** Several pumps behind one server (a TCP gateway or an RTU bus) … */
  units?: readonly PumpUnitSpec[];
  /** … or one, by these shorthands (unit id 1 by default). */
  unitId?: number;
  profile?: ProfileName;
  registers?: readonly RegisterEntry[];
  behaviours?: PumpBehaviours;
  /** Same seed, same pumps. Default 1. */
  seed?: number;
  clock?: Clock;
  /** Model time runs this many times faster than the clock (a day's demand in minutes). Default 1. */
  speed?: number;
  /** Model time at start, epoch ms. Default: the clock's now. */
  startAt?: number;
}

export interface PumpSimulatorOptions extends PumpUnitsOptions {
  /** A real port: modbus-serial's server turns 0 into 502, so it cannot pick a free one itself. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
}

/** The pumps of one server and the clock they run on. */
export interface PumpUnits {
  readonly units: ReadonlyMap<number, PumpUnit>;
  readonly vector: PumpVector;
}

export function buildPumpUnits(options: PumpUnitsOptions, unknownUnit: 'exception' | 'silent'): PumpUnits {
  const clock = options.clock ?? systemClock;
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be positive, got ${speed}`);
  const wallAtStart = clock.now();
  const startAt = options.startAt ?? wallAtStart;
  const seed = options.seed ?? 1;
  const specs: readonly PumpUnitSpec[] = options.units ?? [
    {
      unitId: options.unitId ?? 1,
      profile: options.profile,
      registers: options.registers,
      behaviours: options.behaviours,
    },
  ];
  const units = new Map<number, PumpUnit>();
  for (const spec of specs) {
    if (units.has(spec.unitId)) throw new RangeError(`unit id ${spec.unitId} given twice`);
    units.set(spec.unitId, new PumpUnit({ ...spec, seed: hashSeed(seed, spec.unitId), startAt }));
  }
  const now = (): number => startAt + (clock.now() - wallAtStart) * speed;
  return { units, vector: createPumpVector({ units, now, unknownUnit }) };
}

/** Controls shared by the TCP and RTU simulators. */
export interface PumpServerControls {
  /** Every request received (unknown unit ids too); each unit counts its own in `unit(id).requests`. */
  readonly requests: RequestCounts;
  readonly running: boolean;
  /** Listens (idempotent); rejects when the port or device cannot be opened. */
  start(): Promise<void>;
  /** Closes the server and every connection; the pumps' state is kept for a `start` again. Idempotent. */
  stop(): Promise<void>;
  /** Throws a RangeError for a unit id it does not serve. */
  unit(unitId?: number): PumpUnit;
  units(): PumpUnit[];
  /** Switches a fault on every unit. */
  setFault(name: PumpFault, on: boolean, options?: { delayMs?: number; code?: number }): void;
  resetCounters(): void;
}

export interface PumpSimulator extends PumpServerControls {
  readonly host: string;
  readonly port: number;
}

/** A listening server as the simulators need it: something that closes. */
export interface ClosableServer {
  close(callback: () => void): void;
}

/**
 * The controls of a pump server whose transport `open` starts (a TCP listener, a serial port):
 * start and stop are idempotent, and the pumps keep their state across a restart.
 */
export function pumpControls(pumps: PumpUnits, open: () => Promise<ClosableServer>): PumpServerControls {
  let server: ClosableServer | undefined;
  let starting: Promise<void> | undefined;
  return {
    get requests() {
      return pumps.vector.requests;
    },
    get running() {
      return server !== undefined;
    },
    start() {
      starting ??= open().then(
        (s) => void (server = s),
        (err: unknown) => {
          starting = undefined;
          throw err;
        },
      );
      return starting;
    },
    async stop() {
      await starting?.catch(() => {});
      starting = undefined;
      const s = server;
      server = undefined;
      pumps.vector.dispose();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    unit(unitId) {
      const unit = unitId === undefined ? pumps.units.values().next().value : pumps.units.get(unitId);
      if (!unit) throw new RangeError(`no unit ${unitId} on this simulator`);
      return unit;
    },
    units: () => [...pumps.units.values()],
    setFault(name, on, options) {
      for (const unit of pumps.units.values()) unit.setFault(name, on, options);
    },
    resetCounters() {
      for (const counts of [pumps.vector.requests, ...[...pumps.units.values()].map((u) => u.requests)]) {
        counts.total = 0;
        for (const table of Object.keys(counts.byTable) as Array<keyof RequestCounts['byTable']>)
          counts.byTable[table] = 0;
      }
    },
  };
}

/**
 * A Modbus TCP server (modbus-serial) serving simulated pumps: `booster-pump-v1` by default,
 * any profile or inline map per unit id, with plausible physics and switchable faults. The same
 * object serves tests on free ports, `cgw simulate` and `cgw demo`.
 */
export function createPumpSimulator(options: PumpSimulatorOptions): PumpSimulator {
  const host = options.host ?? '127.0.0.1';
  const pumps = buildPumpUnits(options, 'exception');
  const open = (): Promise<ClosableServer> =>
    new Promise((resolve, reject) => {
      const s = new ServerTCP(pumps.vector.vector, { host, port: options.port, unitID: 255 });
      s.on('socketError', () => {}); // a client that resets its connection is its own business
      s.on('error', () => {});
      s.once('initialized', () => resolve(s));
      s.once('serverError', (err) => {
        s.close(() => {});
        reject(new Error(`pump simulator cannot listen on ${host}:${options.port}: ${err?.message}`));
      });
    });
  // Object.assign, not a spread: the controls' getters must stay getters.
  return Object.assign(pumpControls(pumps, open), { host, port: options.port });
}
