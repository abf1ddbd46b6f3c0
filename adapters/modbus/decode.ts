import type { Scalar } from '../../gateway/types.ts';
import { registersToBytes, swap16, swapsBytes } from './byte-order.ts';
import { isBitTable, lengthOf, type RegisterEntry } from './register-map.ts';

/** A decoded field: its value, or why there is none (a bad value is missing, never a zero). */
export type Decoded = { ok: true; value: Scalar } | { ok: false; reason: string };

const scratch = new DataView(new ArrayBuffer(4));
const bytes = new Uint8Array(scratch.buffer);

/**
 * The raw number in an entry's registers, before scale and offset. `words` are the registers
 * starting at the entry's address as received (at least `lengthOf(entry.type)` of them).
 */
export function rawValue(entry: RegisterEntry, words: ArrayLike<number>): number {
  const first = (words[0] ?? 0) & 0xffff;
  if (lengthOf(entry.type) === 1) {
    const word = swapsBytes(entry.byteOrder) ? swap16(first) : first;
    if (entry.type === 'int16') return word >= 0x8000 ? word - 0x10000 : word;
    return word;
  }
  registersToBytes(first, (words[1] ?? 0) & 0xffff, entry.byteOrder, bytes);
  if (entry.type === 'int32') return scratch.getInt32(0);
  if (entry.type === 'uint32') return scratch.getUint32(0);
  return shortestFloat32(scratch.getFloat32(0));
}

/**
 * The shortest decimal that is the same float32: a device that stores 4.2 sends the float32
 * nearest to it, 4.199999809265137 as a double; 4.2 is what it meant, and converts back to the
 * very same float32, so nothing is lost.
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return x;
}

/** A field from the registers of a holding or input table. */
export function decodeRegisters(entry: RegisterEntry, words: ArrayLike<number>): Decoded {
  if (words.length < lengthOf(entry.type)) return { ok: false, reason: 'short reply' };
  const raw = rawValue(entry, words);
  if (entry.type === 'bool') {
    return { ok: true, value: entry.bit === undefined ? raw !== 0 : ((raw >> entry.bit) & 1) === 1 };
  }
  return scaled(entry, raw);
}

/** A field from a coil or discrete input. */
export function decodeBit(_entry: RegisterEntry, bit: boolean | undefined): Decoded {
  return bit === undefined ? { ok: false, reason: 'short reply' } : { ok: true, value: bit };
}

/**
 * Every entry of one block read: `data` holds the registers (or bits) from `start` on. Fields the
 * reply does not cover come back missing.
 */
export function decodeBlock(
  entries: readonly RegisterEntry[],
  start: number,
  data: ArrayLike<number> | ArrayLike<boolean>,
): Map<string, Decoded> {
  const out = new Map<string, Decoded>();
  for (const entry of entries) {
    const at = entry.address - start;
    if (isBitTable(entry.table)) {
      out.set(entry.field, decodeBit(entry, (data as ArrayLike<boolean>)[at]));
    } else {
      const words = Array.prototype.slice.call(data, at, at + lengthOf(entry.type)) as number[];
      out.set(entry.field, decodeRegisters(entry, words));
    }
  }
  return out;
}

function scaled(entry: RegisterEntry, raw: number): Decoded {
  if (!Number.isFinite(raw)) return { ok: false, reason: `not a number (${raw})` };
  let value = raw * entry.scale + entry.offset;
  if (!Number.isFinite(value)) return { ok: false, reason: `out of range (${raw} × ${entry.scale})` };
  // 1234 × 0.1 is 123.40000000000001 in binary: 12 significant digits is more than any
  // instrument resolves, and stores what the device meant.
  if (entry.scale !== 1 || entry.offset !== 0) value = Number(value.toPrecision(12));
  if ((entry.min !== undefined && value < entry.min) || (entry.max !== undefined && value > entry.max))
    return { ok: false, reason: `out of range (${value})` };
  return { ok: true, value };
}
