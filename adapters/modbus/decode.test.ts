import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BYTE_ORDERS, type ByteOrder } from './byte-order.ts';
import { decodeBlock, decodeRegisters, rawValue, shortestFloat32 } from './decode.ts';
import { encodeRegisters } from './encode.ts';
import { REGISTER_TYPES, type RegisterEntry, type RegisterType } from './register-map.ts';

function entry(
  type: RegisterType,
  byteOrder: ByteOrder = 'ABCD',
  extra: Partial<RegisterEntry> = {},
): RegisterEntry {
  return { field: 'x', table: 'holding', address: 0, type, byteOrder, scale: 1, offset: 0, ...extra };
}

const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(4, '0')).join(' ');

describe('byte and word orders', () => {
  // 123.456 as float32 is 0x42F6E979 (bytes A=42 B=F6 C=E9 D=79).
  it.each([
    ['ABCD', '42f6 e979'],
    ['CDAB', 'e979 42f6'],
    ['BADC', 'f642 79e9'],
    ['DCBA', '79e9 f642'],
  ] as const)('float32 123.456 in %s is %s on the wire', (order, wire) => {
    expect(hex(encodeRegisters(entry('float32', order), 123.456))).toBe(wire);
    const words = wire.split(' ').map((w) => parseInt(w, 16));
    expect(decodeRegisters(entry('float32', order), words)).toEqual({ ok: true, value: 123.456 });
  });

  it.each([
    ['int32', -2, 'ABCD', 'ffff fffe'],
    ['int32', -2, 'CDAB', 'fffe ffff'],
    ['uint32', 0x01020304, 'BADC', '0201 0403'],
    ['uint32', 0x01020304, 'DCBA', '0403 0201'],
    ['int16', -2, 'ABCD', 'fffe'],
    ['int16', -2, 'BADC', 'feff'],
    ['uint16', 0x1234, 'CDAB', '1234'],
    ['uint16', 0x1234, 'DCBA', '3412'],
  ] as const)('%s %d in %s is %s', (type, value, order, wire) => {
    const e = entry(type, order);
    expect(hex(encodeRegisters(e, value))).toBe(wire);
    expect(rawValue(e, encodeRegisters(e, value))).toBe(value);
  });

  it('reads a bit of a register, bit 0 being the least significant', () => {
    const status = [0b1000_0000_0000_0101];
    expect(decodeRegisters(entry('bool', 'ABCD', { bit: 0 }), status)).toEqual({ ok: true, value: true });
    expect(decodeRegisters(entry('bool', 'ABCD', { bit: 1 }), status)).toEqual({ ok: true, value: false });
    expect(decodeRegisters(entry('bool', 'ABCD', { bit: 15 }), status)).toEqual({ ok: true, value: true });
    expect(decodeRegisters(entry('bool'), [0])).toEqual({ ok: true, value: false });
    expect(decodeRegisters(entry('bool'), [7])).toEqual({ ok: true, value: true });
    expect(encodeRegisters(entry('bool', 'ABCD', { bit: 2 }), true, 0b1)).toEqual([0b101]);
  });

  it('applies scale and offset, keeping the decimals the device meant', () => {
    const e = entry('uint16', 'ABCD', { scale: 0.1, offset: -40 });
    expect(decodeRegisters(e, [1234])).toEqual({ ok: true, value: 83.4 });
    expect(encodeRegisters(e, 83.4)).toEqual([1234]);
    expect(decodeRegisters(entry('int16', 'ABCD', { scale: 0.01 }), [0xffff])).toEqual({
      ok: true,
      value: -0.01,
    });
  });
});

/** A value of the type, and an entry with a scale and offset that keep it representable. */
const typedValue = (type: RegisterType): fc.Arbitrary<number | boolean> => {
  switch (type) {
    case 'int16':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'int32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'float32':
      return fc.float({ noNaN: true, noDefaultInfinity: true });
    case 'bool':
      return fc.boolean();
  }
};

const anyEntry: fc.Arbitrary<RegisterEntry> = fc
  .record({
    type: fc.constantFrom(...REGISTER_TYPES),
    byteOrder: fc.constantFrom(...BYTE_ORDERS),
    bit: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
    scale: fc.oneof(
      fc.constant(1),
      fc.double({ noNaN: true }).filter((s) => s !== 0),
    ),
    offset: fc.oneof(fc.constant(0), fc.double({ noNaN: true })),
  })
  .map(({ type, byteOrder, bit, scale, offset }) =>
    type === 'bool'
      ? entry(type, byteOrder, bit === undefined ? {} : { bit })
      : entry(type, byteOrder, { scale, offset }),
  );

describe('decode (properties)', () => {
  it('decodes what was encoded, for every type and byte order', () => {
    const typed = fc
      .constantFrom(...REGISTER_TYPES)
      .chain((type) =>
        fc.tuple(
          fc.constant(type),
          fc.constantFrom(...BYTE_ORDERS),
          typedValue(type),
          fc.integer({ min: 0, max: 15 }),
        ),
      );
    fc.assert(
      fc.property(typed, ([type, order, value, bit]) => {
        const e = entry(type, order, type === 'bool' ? { bit } : {});
        const decoded = decodeRegisters(e, encodeRegisters(e, value));
        // + 0: a decoded value is never -0 (raw × scale + offset turns it into 0, as it should)
        const expected = type === 'float32' ? shortestFloat32(Math.fround(value as number)) + 0 : value;
        expect(decoded).toEqual({ ok: true, value: expected });
        if (type === 'float32')
          expect(Math.fround((decoded as { value: number }).value)).toBe(Math.fround(value as number) + 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips scaled integers to within half a step of the scale', () => {
    const scaled = fc.record({
      order: fc.constantFrom(...BYTE_ORDERS),
      scale: fc.constantFrom(0.001, 0.01, 0.1, 0.5, 2, 10),
      offset: fc.integer({ min: -100, max: 100 }),
      raw: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(scaled, ({ order, scale, offset, raw }) => {
        const e = entry('uint16', order, { scale, offset });
        const value = raw * scale + offset;
        const decoded = decodeRegisters(e, encodeRegisters(e, value));
        expect(decoded.ok).toBe(true);
        expect(Math.abs((decoded as { value: number }).value - value)).toBeLessThanOrEqual(scale / 2 + 1e-9);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on any registers, and never yields NaN, Infinity or a fake zero for a bad value', () => {
    const words = fc.array(fc.integer({ min: -70000, max: 140000 }), { maxLength: 3 });
    fc.assert(
      fc.property(anyEntry, words, (e, w) => {
        const decoded = decodeRegisters(e, w);
        if (decoded.ok) {
          if (typeof decoded.value === 'number') expect(Number.isFinite(decoded.value)).toBe(true);
        } else expect(decoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 5000 },
    );
  });

  it('reports a NaN or infinite float as missing, and a value outside min/max as missing', () => {
    const f = entry('float32');
    expect(decodeRegisters(f, [0x7fc0, 0x0000])).toEqual({ ok: false, reason: 'not a number (NaN)' });
    expect(decodeRegisters(f, [0x7f80, 0x0000]).ok).toBe(false);
    expect(decodeRegisters(entry('float32', 'ABCD', { scale: 1e300 }), [0x7f7f, 0xffff]).ok).toBe(false);
    const level = entry('uint16', 'ABCD', { scale: 0.1, min: 0, max: 100 });
    expect(decodeRegisters(level, [0xffff])).toEqual({ ok: false, reason: 'out of range (6553.5)' });
    expect(decodeRegisters(level, [1000])).toEqual({ ok: true, value: 100 });
    expect(decodeRegisters(f, [0x4000])).toEqual({ ok: false, reason: 'short reply' });
  });

  it('decodes a block by address, and a short reply leaves the uncovered fields missing', () => {
    const a = { ...entry('uint16'), field: 'a', address: 10 };
    const b = { ...entry('float32'), field: 'b', address: 11 };
    const c = { ...entry('bool'), field: 'c', table: 'coil' as const, address: 4 };
    expect(Object.fromEntries(decodeBlock([a, b], 10, [7, 0x42f6, 0xe979]))).toEqual({
      a: { ok: true, value: 7 },
      b: { ok: true, value: 123.456 },
    });
    expect(decodeBlock([a, b], 10, [7, 0x42f6]).get('b')).toEqual({ ok: false, reason: 'short reply' });
    expect(decodeBlock([c], 3, [false, true]).get('c')).toEqual({ ok: true, value: true });
    expect(decodeBlock([c], 3, [false]).get('c')?.ok).toBe(false);
  });
});
