import type { Scalar } from '../../gateway/types.ts';
import { bytesToRegisters, swap16, swapsBytes } from './byte-order.ts';
import { lengthOf, type RegisterEntry, type RegisterType } from './register-map.ts';

const scratch = new DataView(new ArrayBuffer(4));
const bytes = new Uint8Array(scratch.buffer);

const RANGE: Readonly<Record<Exclude<RegisterType, 'float32' | 'bool'>, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** The raw number an engineering value becomes: (value − offset) / scale, rounded and clamped to the type. */
export function rawOf(entry: RegisterEntry, value: number): number {
  const raw = (value - entry.offset) / entry.scale;
  if (entry.type === 'float32' || entry.type === 'bool') return raw;
  const [min, max] = RANGE[entry.type];
  if (Number.isNaN(raw)) return 0;
  return Math.min(max, Math.max(min, Math.round(raw)));
}

/**
 * The registers that carry `value` for this entry, lower address first: what a device (the
 * simulator) serves. `current` is the register's present content, kept for the other bits when
 * the entry is one bit of it.
 */
export function encodeRegisters(entry: RegisterEntry, value: Scalar, current = 0): number[] {
  if (entry.type === 'bool') {
    const on = value === true || (typeof value === 'number' && value !== 0);
    if (entry.bit === undefined) return [on ? 1 : 0];
    const logical = swapsBytes(entry.byteOrder) ? swap16(current) : current;
    const next = on ? logical | (1 << entry.bit) : logical & ~(1 << entry.bit) & 0xffff;
    return [swapsBytes(entry.byteOrder) ? swap16(next) : next];
  }
  const number = typeof value === 'number' ? value : Number(value);
  const raw = rawOf(entry, number);
  if (lengthOf(entry.type) === 1) {
    const word = raw & 0xffff;
    return [swapsBytes(entry.byteOrder) ? swap16(word) : word];
  }
  if (entry.type === 'float32') scratch.setFloat32(0, raw);
  else if (entry.type === 'int32') scratch.setInt32(0, raw);
  else scratch.setUint32(0, raw);
  return bytesToRegisters(bytes, entry.byteOrder);
}
