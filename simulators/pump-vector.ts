import type { IServiceVector } from 'modbus-serial';
import type { RegisterTable } from '../adapters/modbus/register-map.ts';
import { emptyCounts, type LinkMode, type PumpUnit, type RequestCounts } from './pump-unit.ts';

type Callback<T> = (err: Error | null, value: T) => void;

/** One request being answered: every vector call it makes shares the unit's decision. */
interface Batch {
  unitId: number;
  table: RegisterTable;
  unit: PumpUnit | undefined;
  mode: LinkMode;
  deferred: Array<() => void>;
}

export interface PumpVector {
  vector: IServiceVector;
  /** Every request received, known unit or not. */
  readonly requests: RequestCounts;
  /** Forgets slow answers not sent yet (on stop). */
  dispose(): void;
}

export interface PumpVectorOptions {
  units: ReadonlyMap<number, PumpUnit>;
  /** Model time now, epoch ms. */
  now(): number;
  /**
   * What an unknown unit id gets: a TCP gateway answers exception 11 (target failed to
   * respond); on a serial bus another device may own the id, so silence.
   */
  unknownUnit: 'exception' | 'silent';
}

/**
 * The modbus-serial service vector of a pump server. modbus-serial calls the vector once per
 * register request but once per bit for coils and discrete inputs, all synchronously within one
 * request's turn of the event loop; a request is therefore recognised as the calls made before
 * the next microtask checkpoint, which is what lets requests be counted and a fault decided
 * once per request.
 */
export function createPumpVector(options: PumpVectorOptions): PumpVector {
  const requests = emptyCounts();
  const timers = new Set<NodeJS.Timeout>();
  let batch: Batch | undefined;

  const begin = (unitId: number, table: RegisterTable): Batch => {
    if (batch && batch.unitId === unitId && batch.table === table) return batch;
    const unit = options.units.get(unitId);
    requests.total++;
    requests.byTable[table]++;
    let mode: LinkMode;
    if (unit) {
      unit.requests.total++;
      unit.requests.byTable[table]++;
      mode = unit.linkMode();
      if (mode.kind !== 'dead') unit.refresh(options.now());
    } else mode = options.unknownUnit === 'exception' ? { kind: 'exception', code: 11 } : { kind: 'dead' };
    const current: Batch = { unitId, table, unit, mode, deferred: [] };
    batch = current;
    queueMicrotask(() => {
      if (batch === current) batch = undefined;
    });
    return current;
  };

  /**
   * `failed` is what goes beside an error: modbus-serial's input-register handler indexes the
   * values even then, so a multi-register reply needs an (empty) array there.
   */
  const respond = <T>(b: Batch, cb: Callback<T>, produce: () => T | undefined, failed: T): void => {
    const send = (): void => {
      if (b.mode.kind === 'exception') return cb(modbusError(b.mode.code), failed);
      const value = produce();
      if (value === undefined) cb(modbusError(2), failed);
      else cb(null, value);
    };
    if (b.mode.kind === 'dead') return;
    if (b.mode.kind !== 'slow') return send();
    b.deferred.push(send);
    if (b.deferred.length > 1) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      for (const f of b.deferred.splice(0)) f();
    }, b.mode.delayMs);
    timers.add(timer);
  };

  const words = (table: RegisterTable) => ({
    multiple: (addr: number, length: number, unitId: number, cb: Callback<number[]>) => {
      const b = begin(unitId, table);
      respond(b, cb, () => b.unit?.read(table, addr, length) as number[] | undefined, []);
    },
    single: (addr: number, unitId: number, cb: Callback<number>) => {
      const b = begin(unitId, table);
      respond(b, cb, () => b.unit?.read(table, addr, 1)?.[0] as number | undefined, 0);
    },
  });
  const bit = (table: RegisterTable) => (addr: number, unitId: number, cb: Callback<boolean>) => {
    const b = begin(unitId, table);
    respond(b, cb, () => b.unit?.read(table, addr, 1)?.[0] as boolean | undefined, false);
  };
  const holding = words('holding');
  const input = words('input');

  return {
    vector: {
      getMultipleHoldingRegisters: holding.multiple,
      getHoldingRegister: holding.single,
      getMultipleInputRegisters: input.multiple,
      getInputRegister: input.single,
      getCoil: bit('coil'),
      getDiscreteInput: bit('discrete'),
      // A read-only device: writes are refused with "illegal function".
      setRegister: (_addr: number, _value: number, _unit: number, cb: (err: Error | null) => void) =>
        cb(modbusError(1)),
      setCoil: (_addr: number, _value: boolean, _unit: number, cb: (err: Error | null) => void) =>
        cb(modbusError(1)),
    },
    requests,
    dispose() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/** What modbus-serial's server turns into an exception reply (PLATFORM-NOTES). */
function modbusError(code: number): Error {
  return Object.assign(new Error(`modbus exception ${code}`), { modbusErrorCode: code });
}
