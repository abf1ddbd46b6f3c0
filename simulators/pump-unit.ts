import { encodeRegisters } from '../adapters/modbus/encode.ts';
import { getProfile, type ProfileName } from '../adapters/modbus/profiles/index.ts';
import { isBitTable, type RegisterEntry, type RegisterTable } from '../adapters/modbus/register-map.ts';
import type { Scalar } from '../gateway/types.ts';
import { createPumpModel, PUMP_MODEL_FAULTS, type PumpModel, type PumpModelKind } from './pump-model.ts';

/** Faults of the Modbus server in front of the pump: how it answers, if it does. */
export const PUMP_LINK_FAULTS = ['dead', 'slow', 'exception'] as const;
export const PUMP_FAULTS = [...PUMP_MODEL_FAULTS, ...PUMP_LINK_FAULTS] as const;
export type PumpFault = (typeof PUMP_FAULTS)[number];

/** Faults to switch on: `slow` and `exception` may carry their delay and exception code. */
export interface PumpBehaviours {
  pressureLoss?: boolean;
  overcurrentTrip?: boolean;
  /** Never answers (the request is read and dropped). */
  dead?: boolean;
  /** Answers after `delayMs` (default 500). */
  slow?: boolean | { delayMs: number };
  /** Answers every read with a Modbus exception, code 4 (device failure) unless given. */
  exception?: boolean | { code: number };
}

export interface PumpUnitOptions {
  unitId: number;
  /** A shipped profile, or an inline map (as the config gives it, defaults filled). */
  profile?: ProfileName;
  registers?: readonly RegisterEntry[];
  /** Which physics; default drainage for `drainage-pump-v1` or a map with `tank_level_pct`, else booster. */
  model?: PumpModelKind;
  seed: number;
  startAt: number;
  behaviours?: PumpBehaviours;
}

export interface RequestCounts {
  total: number;
  byTable: Record<RegisterTable, number>;
}

export function emptyCounts(): RequestCounts {
  return { total: 0, byTable: { holding: 0, input: 0, coil: 0, discrete: 0 } };
}

/** How the unit answers the request in hand. */
export type LinkMode =
  | { kind: 'answer' }
  | { kind: 'dead' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'exception'; code: number };

/**
 * One simulated pump behind a Modbus server: its physics, its register map, the register image
 * it serves, its link faults, and the requests it was sent.
 */
export class PumpUnit {
  readonly unitId: number;
  readonly entries: readonly RegisterEntry[];
  readonly model: PumpModel;
  readonly requests: RequestCounts = emptyCounts();
  readonly #image = new Map<string, number | boolean>();
  readonly #pins = new Map<string, Scalar>();
  readonly #pokes = new Map<string, number | boolean>();
  #slow: { delayMs: number } | undefined;
  #exception: { code: number } | undefined;
  #dead = false;

  constructor(options: PumpUnitOptions) {
    this.unitId = options.unitId;
    this.entries = options.registers ?? getProfile(options.profile ?? 'booster-pump-v1').registers;
    const drainage =
      options.profile === 'drainage-pump-v1' || this.entries.some((e) => e.field === 'tank_level_pct');
    this.model = createPumpModel({
      kind: options.model ?? (drainage ? 'drainage' : 'booster'),
      seed: options.seed,
      startAt: options.startAt,
    });
    for (const [name, value] of Object.entries(options.behaviours ?? {}))
      if (value !== undefined && value !== false)
        this.setFault(name as PumpFault, true, typeof value === 'object' ? value : undefined);
  }

  setFault(name: PumpFault, on: boolean, options?: { delayMs?: number; code?: number }): void {
    if (name === 'dead') this.#dead = on;
    else if (name === 'slow') this.#slow = on ? { delayMs: options?.delayMs ?? 500 } : undefined;
    else if (name === 'exception') this.#exception = on ? { code: options?.code ?? 4 } : undefined;
    else if ((PUMP_MODEL_FAULTS as readonly string[]).includes(name)) this.model.faults.set(name, on);
    else throw new RangeError(`unknown pump fault "${name}"`);
  }

  activeFaults(): PumpFault[] {
    const link: PumpFault[] = [];
    if (this.#dead) link.push('dead');
    if (this.#slow) link.push('slow');
    if (this.#exception) link.push('exception');
    return [...this.model.faults.active(), ...link];
  }

  /** How to answer now: dead wins over exception, exception over slow. */
  linkMode(): LinkMode {
    if (this.#dead) return { kind: 'dead' };
    if (this.#exception) return { kind: 'exception', code: this.#exception.code };
    if (this.#slow) return { kind: 'slow', delayMs: this.#slow.delayMs };
    return { kind: 'answer' };
  }

  /** Holds a field at a value (NaN and out-of-range values included) until `unpin`. */
  pin(field: string, value: Scalar): void {
    this.#pins.set(field, value);
  }

  unpin(field: string): void {
    this.#pins.delete(field);
  }

  /** Overrides raw registers (or bits) from `address` on, whatever the model says: for bad-data tests. */
  poke(table: RegisterTable, address: number, data: ReadonlyArray<number | boolean>): void {
    data.forEach((v, i) => this.#pokes.set(`${table}:${address + i}`, v));
  }

  clearPokes(): void {
    this.#pokes.clear();
  }

  /** The engineering values being served (model values with pins applied). */
  values(): Record<string, Scalar> {
    return { ...this.model.values(), ...Object.fromEntries(this.#pins) };
  }

  /** Steps the model to `now` and re-encodes the register image. */
  refresh(now: number): void {
    this.model.step(now);
    const values = this.values();
    this.#image.clear();
    for (const e of this.entries) {
      const value = values[e.field] ?? 0; // a field the physics does not know reads 0
      if (isBitTable(e.table)) {
        this.#image.set(
          `${e.table}:${e.address}`,
          value === true || (typeof value === 'number' && value !== 0),
        );
        continue;
      }
      const key = `${e.table}:${e.address}`;
      const current = this.#image.get(key);
      const words = encodeRegisters(e, value, typeof current === 'number' ? current : 0);
      words.forEach((w, i) => this.#image.set(`${e.table}:${e.address + i}`, w));
    }
    for (const [key, v] of this.#pokes) this.#image.set(key, v);
  }

  /**
   * What the image holds at these addresses (as of the last `refresh`); undefined where nothing
   * is mapped, which the server answers with exception 2.
   */
  read(table: RegisterTable, address: number, count: number): Array<number | boolean> | undefined {
    const out: Array<number | boolean> = [];
    for (let a = address; a < address + count; a++) {
      const v = this.#image.get(`${table}:${a}`);
      if (v === undefined) return undefined;
      out.push(isBitTable(table) ? v === true || v === 1 : typeof v === 'number' ? v & 0xffff : v ? 1 : 0);
    }
    return out;
  }
}
