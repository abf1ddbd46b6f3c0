/**
 * How the four bytes of a 32-bit value travel in two Modbus registers. Bytes are named by
 * significance: a value whose big-endian bytes are A B C D (A most significant). Each register
 * goes on the wire high byte first; the first register is the one at the lower address.
 *
 * | order  | first register | second register | the same as                          |
 * |--------|----------------|-----------------|--------------------------------------|
 * | `ABCD` | A B            | C D             | `wordOrder: big` (the Modbus default) |
 * | `CDAB` | C D            | A B             | `wordOrder: little` (word-swapped)    |
 * | `BADC` | B A            | D C             | byte-swapped within each register     |
 * | `DCBA` | D C            | B A             | fully little-endian                   |
 *
 * A 16-bit value uses only the byte half of the order: `BADC` and `DCBA` swap the two bytes of
 * its register, `ABCD` and `CDAB` leave it as it is.
 */
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export const WORD_ORDERS = ['big', 'little'] as const;
export type WordOrder = (typeof WORD_ORDERS)[number];

/** `wordOrder` is the shorthand most device manuals use; it names two of the four orders. */
export const WORD_ORDER_BYTE_ORDER: Readonly<Record<WordOrder, ByteOrder>> = { big: 'ABCD', little: 'CDAB' };

/** For each byte position on the wire (0-3), which byte of the value (0 = A … 3 = D) travels there. */
const WIRE: Readonly<Record<ByteOrder, readonly number[]>> = {
  ABCD: [0, 1, 2, 3],
  CDAB: [2, 3, 0, 1],
  BADC: [1, 0, 3, 2],
  DCBA: [3, 2, 1, 0],
};

/** True when the order swaps the two bytes inside a register (what it means for 16-bit values). */
export function swapsBytes(order: ByteOrder): boolean {
  return order === 'BADC' || order === 'DCBA';
}

export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

/** Two registers as received → the value's bytes A B C D, written into `out`. */
export function registersToBytes(first: number, second: number, order: ByteOrder, out: Uint8Array): void {
  const wire = [(first >> 8) & 0xff, first & 0xff, (second >> 8) & 0xff, second & 0xff];
  const map = WIRE[order];
  for (let i = 0; i < 4; i++) out[map[i]!] = wire[i]!;
}

/** The value's bytes A B C D → the two registers that carry them, lower address first. */
export function bytesToRegisters(bytes: Uint8Array, order: ByteOrder): [number, number] {
  const map = WIRE[order];
  const wire = map.map((from) => bytes[from]!);
  return [(wire[0]! << 8) | wire[1]!, (wire[2]! << 8) | wire[3]!];
}
