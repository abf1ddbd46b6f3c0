import type { Scalar } from '../gateway/types.ts';
import { DailyArrivals, flowAt, type DailyPatternOptions } from './daily-pattern.ts';
import {
  applyTransportFaults,
  faultControls,
  FaultSwitches,
  GarbageMaker,
  TRANSPORT_FAULTS,
  type DeviceSimulator,
  type SimMessage,
} from './device-simulator.ts';
import { createRandom, type Random } from './random.ts';

export const DOOR_FAULTS = ['forced', 'heldOpen', 'tamper', ...TRANSPORT_FAULTS] as const;
/** `forced`, `heldOpen`, `tamper` act on the door; `silent`, `offline`, `garbage` on the transport. */
export type DoorFault = (typeof DOOR_FAULTS)[number];

export const DENIAL_REASONS = [
  'unknown_card',
  'expired',
  'wrong_time',
  'blacklisted',
  'anti_passback',
] as const;

export interface DoorSimulatorOptions {
  id: string;
  /** Model time at creation, epoch ms. The daily pattern reads the hour from it. */
  startAt: number;
  seed?: number;
  /** Periodic telemetry interval in model ms (changes are sent at once as well). Default 10 s. */
  telemetryMs?: number;
  /** People through this door per hour at the morning peak. Default 60. */
  accessPerHourAtPeak?: number;
  /** Share of attempts refused. Default 0.05. */
  deniedRatio?: number;
  /** How many residents use this door; their pseudonymous ids are drawn from the seed. Default 150. */
  residents?: number;
  /** A granted door stays open this long (uniform in the range), model ms. Default 3-8 s. */
  openMs?: readonly [number, number];
  /** An open door reports `door.held_open` after this long, model ms. Default 30 s. */
  heldOpenAfterMs?: number;
  pattern?: DailyPatternOptions;
}

/** What the door is doing now, for tests and the demo's console. */
export interface DoorState {
  doorOpen: boolean;
  locked: boolean;
  /** Model time the door last opened; undefined while closed. */
  openSince: number | undefined;
}

export interface DoorSimulator extends DeviceSimulator<DoorFault> {
  readonly kind: 'access';
  state(): DoorState;
}

const CREDENTIALS: ReadonlyArray<readonly [string, number]> = [
  ['card', 45],
  ['face', 30],
  ['qr', 15],
  ['pin', 10],
];

/** An access controller at a gate or a building entrance: a model with no I/O of its own. */
export function createDoorSimulator(options: DoorSimulatorOptions): DoorSimulator {
  const random = createRandom(options.seed ?? 1);
  const telemetryMs = Math.max(100, options.telemetryMs ?? 10_000);
  const [openMin, openMax] = options.openMs ?? [3_000, 8_000];
  const heldOpenAfterMs = options.heldOpenAfterMs ?? 30_000;
  const deniedRatio = options.deniedRatio ?? 0.05;
  const pattern = options.pattern ?? {};
  const faults = new FaultSwitches<DoorFault>(DOOR_FAULTS);
  const garbage = new GarbageMaker(random.fork('garbage'));
  const arrivals = new DailyArrivals(
    random.fork('arrivals'),
    options.accessPerHourAtPeak ?? 60,
    options.startAt,
    pattern,
  );
  const residents = people('p', options.residents ?? 150, random.fork('residents'));
  const visitors = people('v', 40, random.fork('visitors'));

  let t = options.startAt;
  let doorOpen = false;
  let locked = true;
  let openSince: number | undefined;
  let closeAt = Infinity;
  let heldReported = false;
  // Stagger the first report so a thousand doors do not all publish in the same millisecond.
  let nextTelemetryAt = options.startAt + random.uniform(0, Math.min(telemetryMs, 1_000));

  const telemetry = (at: number, out: SimMessage[]): void => {
    out.push({ channel: 'telemetry', at, values: { door_open: doorOpen, locked } });
    nextTelemetryAt = at + telemetryMs;
  };
  const event = (at: number, type: string, data: Record<string, Scalar>, out: SimMessage[]): void => {
    out.push({ channel: 'event', at, type, data });
  };

  const open = (at: number, unlock: boolean, out: SimMessage[]): void => {
    if (!doorOpen) {
      openSince = at;
      heldReported = false;
    }
    const changed = !doorOpen || locked === unlock;
    doorOpen = true;
    locked = !unlock;
    if (changed) telemetry(at, out);
  };

  const close = (at: number, out: SimMessage[]): void => {
    if (!doorOpen && locked) return;
    doorOpen = false;
    locked = true;
    openSince = undefined;
    closeAt = Infinity;
    telemetry(at, out);
  };

  const closeIfDue = (at: number, out: SimMessage[]): void => {
    // A propped (heldOpen) or forced door does not close by itself.
    if (faults.has('heldOpen') || faults.has('forced')) return;
    if (doorOpen && closeAt <= at) close(closeAt, out);
  };

  const grant = (at: number, out: SimMessage[]): void => {
    const credential = random.weighted(CREDENTIALS);
    const person = random.pick(credential === 'qr' ? visitors : residents);
    const flow = flowAt(at, pattern);
    const direction = random.chance(flow.toLobby / (flow.toLobby + flow.fromLobby)) ? 'out' : 'in';
    event(at, 'access.granted', { credential, person, direction }, out);
    if (!faults.has('forced')) open(at, true, out);
    closeAt = Math.max(closeAt === Infinity ? 0 : closeAt, at + random.uniform(openMin, openMax));
  };

  const attempt = (at: number, out: SimMessage[]): void => {
    if (!random.chance(deniedRatio)) return grant(at, out);
    const reason = random.pick(DENIAL_REASONS);
    const credential = random.weighted(CREDENTIALS);
    // An unknown card belongs to nobody we know: no person id to report.
    const data: Record<string, Scalar> = { reason, credential };
    if (reason !== 'unknown_card') data.person = random.pick(residents);
    event(at, 'access.denied', data, out);
  };

  const onFault = (name: DoorFault, on: boolean, out: SimMessage[]): void => {
    if (name === 'forced') {
      if (on) {
        event(t, 'door.forced', {}, out);
        // Forced means opened against the lock: the bolt still reads locked.
        open(t, false, out);
      } else close(t, out);
    } else if (name === 'heldOpen') {
      // Someone badges in and props the door open.
      if (on && !doorOpen) grant(t, out);
      else if (!on) closeAt = t;
    } else if (name === 'tamper' && on) {
      event(t, 'tamper', { active: true }, out);
    }
  };

  const step = (now: number): SimMessage[] => {
    const out: SimMessage[] = [];
    for (const change of faults.drain()) onFault(change.name, change.on, out);
    for (const at of arrivals.take(now)) {
      closeIfDue(at, out);
      attempt(at, out);
    }
    t = Math.max(t, now);
    closeIfDue(t, out);
    if (doorOpen && !heldReported && !faults.has('forced') && openSince !== undefined) {
      const openFor = t - openSince;
      if (openFor >= heldOpenAfterMs) {
        event(t, 'door.held_open', { seconds: Math.round(openFor / 1000) }, out);
        heldReported = true;
      }
    }
    if (t >= nextTelemetryAt) telemetry(t, out);
    return applyTransportFaults(out, faults, garbage);
  };

  return {
    id: options.id,
    kind: 'access',
    ...faultControls(faults),
    step,
    reportNow: () => {
      nextTelemetryAt = -Infinity;
    },
    state: () => ({ doorOpen, locked, openSince }),
  };
}

/** Pseudonymous ids (`p-3f9a0c1e`): stable per seed, never a name. */
function people(prefix: string, count: number, random: Random): string[] {
  const ids: string[] = [];
  for (let i = 0; i < Math.max(1, Math.min(count, 10_000)); i++) ids.push(`${prefix}-${random.hex(8)}`);
  return ids;
}
