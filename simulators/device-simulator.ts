import type { DeviceKind, Scalar } from '../gateway/types.ts';
import type { Random } from './random.ts';

/**
 * What a device model says, before any transport: the model decides *what* a device would send,
 * the MQTT client decides *how*. Tests drive models with a fake clock and read these directly.
 */
export type SimMessage =
  | { channel: 'telemetry'; at: number; values: Record<string, Scalar> }
  | { channel: 'event'; at: number; type: string; data: Record<string, Scalar> }
  /** Bytes sent as they are on a data channel: the `garbage` fault's malformed payloads. */
  | { channel: 'raw'; at: number; on: 'telemetry'; bytes: Buffer };

/** Faults every MQTT device simulator understands; they act on the transport, not the model. */
export const TRANSPORT_FAULTS = ['silent', 'offline', 'garbage'] as const;
export type TransportFault = (typeof TRANSPORT_FAULTS)[number];

/** A simulated device: stepped by a clock, faults switched at run time. */
export interface DeviceSimulator<F extends string = string> {
  readonly id: string;
  readonly kind: DeviceKind;
  /** Every fault this device understands. */
  readonly faultNames: readonly F[];
  /**
   * Advances the model to `now` (model time, epoch ms) and returns what the device sends meanwhile.
   * Time never goes back: an earlier `now` only returns pending fault reactions.
   */
  step(now: number): SimMessage[];
  /** Makes the next `step` send the current telemetry (a device reports its state on connect). */
  reportNow(): void;
  /** Switches a fault; the model reacts at its next `step`. */
  setFault(name: F, on: boolean): void;
  isFaultOn(name: F): boolean;
  activeFaults(): F[];
  /** Called synchronously on every actual change (the transport acts on `offline` at once). */
  onFaultChange(listener: (name: F, on: boolean) => void): () => void;
}

/**
 * The fault switches of one device. Switching only records the change; the model drains the
 * changes in `step`, so what a fault does happens at a model time, not at a wall-clock whim.
 */
export class FaultSwitches<F extends string> {
  readonly names: readonly F[];
  readonly #on = new Set<F>();
  readonly #pending: Array<{ name: F; on: boolean }> = [];
  readonly #listeners = new Set<(name: F, on: boolean) => void>();

  constructor(names: readonly F[]) {
    this.names = names;
  }

  set(name: F, on: boolean): void {
    if (!this.names.includes(name)) throw new RangeError(`unknown fault "${name}"`);
    if (this.#on.has(name) === on) return;
    if (on) this.#on.add(name);
    else this.#on.delete(name);
    // Bounded: a fault toggled faster than the model steps keeps only its latest changes.
    if (this.#pending.length >= 64) this.#pending.shift();
    this.#pending.push({ name, on });
    for (const listener of this.#listeners) listener(name, on);
  }

  has(name: F): boolean {
    return this.#on.has(name);
  }

  active(): F[] {
    return this.names.filter((n) => this.#on.has(n));
  }

  /** The changes since the last call, oldest first. */
  drain(): Array<{ name: F; on: boolean }> {
    return this.#pending.splice(0, this.#pending.length);
  }

  listen(listener: (name: F, on: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The fault half of a `DeviceSimulator`, the same for every kind of device. */
export function faultControls<F extends string>(
  faults: FaultSwitches<F>,
): Pick<DeviceSimulator<F>, 'faultNames' | 'setFault' | 'isFaultOn' | 'activeFaults' | 'onFaultChange'> {
  return {
    faultNames: faults.names,
    setFault: (name, on) => faults.set(name, on),
    isFaultOn: (name) => faults.has(name),
    activeFaults: () => faults.active(),
    onFaultChange: (listener) => faults.listen(listener),
  };
}

/**
 * Applies the transport faults to what the model produced: `offline`/`silent` send nothing (the
 * model still runs, so the device comes back in a plausible state); `garbage` replaces telemetry
 * with malformed payloads so the gateway's rejection path gets exercised.
 */
export function applyTransportFaults(
  messages: SimMessage[],
  faults: { has(name: TransportFault): boolean },
  garbage: GarbageMaker,
): SimMessage[] {
  if (faults.has('offline') || faults.has('silent')) return [];
  if (!faults.has('garbage')) return messages;
  return messages.map((m) =>
    m.channel === 'telemetry' ? { channel: 'raw', at: m.at, on: 'telemetry', bytes: garbage.next(m) } : m,
  );
}

/**
 * Malformed telemetry in turn: not JSON, binary, truncated JSON, `values` missing, `values` not an
 * object, each field with the wrong type, `ts` unreadable. The rotation starts with non-JSON, so
 * the first garbage message is always one a JSON parser refuses.
 */
export class GarbageMaker {
  #count = 0;
  readonly #random: Random;

  constructor(random: Random) {
    this.#random = random;
  }

  next(real: Extract<SimMessage, { channel: 'telemetry' }>): Buffer {
    const variant = this.#count++ % 7;
    const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
    switch (variant) {
      case 0:
        return Buffer.from(`not json ${this.#random.hex(6)} {`);
      case 1:
        return Buffer.from([0xff, 0xfe, 0x00, 0x7b, this.#random.int(0, 255)]);
      case 2:
        return Buffer.from(JSON.stringify({ ts: real.at, values: real.values }).slice(0, 20));
      case 3:
        return json({ ts: real.at, value: real.values });
      case 4:
        return json({ ts: real.at, values: Object.values(real.values) });
      case 5:
        return json({ ts: real.at, values: wrongTypes(real.values) });
      default:
        return json({ ts: 'yesterday-ish', values: real.values });
    }
  }
}

/** Every field with a type its schema does not allow: a bool as text, a number as text, text as a number. */
function wrongTypes(values: Record<string, Scalar>): Record<string, Scalar | null> {
  const out: Record<string, Scalar | null> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'boolean') out[key] = value ? 'yes' : 'no';
    else if (typeof value === 'number') out[key] = `${value} units`;
    else out[key] = 42;
  }
  return out;
}

/** Decimal rounding for telemetry, so `load_kg` reads 812.4 and not 812.3999999. */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
