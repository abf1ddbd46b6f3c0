import { z } from 'zod';
import { identifier } from '../../gateway/config/common.ts';
import { BYTE_ORDERS, WORD_ORDER_BYTE_ORDER, WORD_ORDERS, type ByteOrder } from './byte-order.ts';

export const REGISTER_TABLES = ['holding', 'input', 'coil', 'discrete'] as const;
export type RegisterTable = (typeof REGISTER_TABLES)[number];

export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'bool'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];

/** Coils and discrete inputs hold single bits; holding and input registers hold 16-bit words. */
export function isBitTable(table: RegisterTable): boolean {
  return table === 'coil' || table === 'discrete';
}

/** Registers (or bits) a value of this type occupies. */
export function lengthOf(type: RegisterType): 1 | 2 {
  return type === 'int32' || type === 'uint32' || type === 'float32' ? 2 : 1;
}

/** One field of a register map, with every default filled in. */
export interface RegisterEntry {
  field: string;
  table: RegisterTable;
  /** 0-based protocol (PDU) address, as on the wire: "register 40001" in a manual is address 0. */
  address: number;
  type: RegisterType;
  /** For `bool` in a holding or input register: which bit (0 = least significant). */
  bit?: number;
  byteOrder: ByteOrder;
  /** value = raw × scale + offset */
  scale: number;
  offset: number;
  /** A value outside [min, max] after scaling is a sensor fault: reported missing, not stored. */
  min?: number;
  max?: number;
}

const entryInput = z.strictObject({
  field: identifier,
  table: z.enum(REGISTER_TABLES),
  address: z.number().int().min(0).max(65535),
  /** Default: `bool` in coil and discrete tables and with `bit`, else `uint16`. */
  type: z.enum(REGISTER_TYPES).optional(),
  bit: z.number().int().min(0).max(15).optional(),
  wordOrder: z.enum(WORD_ORDERS).optional(),
  byteOrder: z.enum(BYTE_ORDERS).optional(),
  scale: z
    .number()
    .refine((s) => Number.isFinite(s) && s !== 0, 'scale must be a finite number other than 0')
    .default(1),
  offset: z.number().refine(Number.isFinite, 'offset must be finite').default(0),
  min: z.number().optional(),
  max: z.number().optional(),
});

type EntryInput = z.output<typeof entryInput>;

/** Problems of one entry on its own, each with the key it is about. */
function entryProblems(e: EntryInput): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  const type = e.type ?? (isBitTable(e.table) || e.bit !== undefined ? 'bool' : 'uint16');
  if (isBitTable(e.table)) {
    if (type !== 'bool') out.push({ key: 'type', message: `a ${e.table} holds one bit: type must be bool` });
    if (e.bit !== undefined)
      out.push({ key: 'bit', message: `bit applies to holding and input registers, not ${e.table}` });
    if (e.wordOrder !== undefined || e.byteOrder !== undefined)
      out.push({ key: 'byteOrder', message: `byte and word order do not apply to a ${e.table}` });
  }
  if (e.bit !== undefined && type !== 'bool')
    out.push({ key: 'type', message: 'a bit of a register is a bool: give type bool or leave it out' });
  if (type === 'bool' && (e.scale !== 1 || e.offset !== 0))
    out.push({ key: 'scale', message: 'scale and offset do not apply to a bool' });
  if (e.wordOrder !== undefined && e.byteOrder !== undefined) {
    const implied = WORD_ORDER_BYTE_ORDER[e.wordOrder];
    if (implied !== e.byteOrder)
      out.push({
        key: 'byteOrder',
        message: `wordOrder ${e.wordOrder} means ${implied}, which contradicts byteOrder ${e.byteOrder}: give one`,
      });
  }
  if (e.min !== undefined && e.max !== undefined && e.min > e.max)
    out.push({ key: 'min', message: `min ${e.min} is above max ${e.max}` });
  if (e.address + lengthOf(type) > 65536)
    out.push({
      key: 'address',
      message: `${type} at ${e.address} runs past the last address (65535)`,
    });
  return out;
}

function normalise(e: EntryInput): RegisterEntry {
  const type = e.type ?? (isBitTable(e.table) || e.bit !== undefined ? 'bool' : 'uint16');
  const byteOrder = e.byteOrder ?? WORD_ORDER_BYTE_ORDER[e.wordOrder ?? 'big'];
  const entry: RegisterEntry = {
    field: e.field,
    table: e.table,
    address: e.address,
    type,
    byteOrder,
    scale: e.scale,
    offset: e.offset,
  };
  if (e.bit !== undefined) entry.bit = e.bit;
  if (e.min !== undefined) entry.min = e.min;
  if (e.max !== undefined) entry.max = e.max;
  return entry;
}

export const registerEntrySchema = entryInput
  .superRefine((e, ctx) => {
    for (const p of entryProblems(e)) ctx.addIssue({ code: 'custom', path: [p.key], message: p.message });
  })
  .transform(normalise);

/** Where two entries of a map collide, reported on the later entry. */
export function mapProblems(
  entries: readonly RegisterEntry[],
): Array<{ index: number; key: 'field' | 'address'; message: string }> {
  const out: Array<{ index: number; key: 'field' | 'address'; message: string }> = [];
  const fields = new Map<string, number>();
  entries.forEach((e, i) => {
    const first = fields.get(e.field);
    if (first !== undefined)
      out.push({
        index: i,
        key: 'field',
        message: `field "${e.field}" is already mapped at registers.${first}`,
      });
    else fields.set(e.field, i);
  });
  // Who holds each address: a whole register, or single bits of it (bits of one register may be
  // shared out between fields: a status word's bits are the common case).
  const owners = new Map<string, { index: number; bits?: Set<number> }>();
  entries.forEach((e, i) => {
    for (let a = e.address; a < e.address + lengthOf(e.type) && a <= 65535; a++) {
      const key = `${e.table}:${a}`;
      const owner = owners.get(key);
      const where = `${e.table} ${a}`;
      if (!owner) {
        owners.set(key, e.bit === undefined ? { index: i } : { index: i, bits: new Set([e.bit]) });
      } else if (e.bit !== undefined && owner.bits && !owner.bits.has(e.bit)) {
        owner.bits.add(e.bit);
      } else {
        const clash = e.bit !== undefined && owner.bits ? `bit ${e.bit} of ${where}` : where;
        out.push({
          index: i,
          key: 'address',
          message: `${clash} overlaps registers.${owner.index} ("${entries[owner.index]!.field}")`,
        });
        break;
      }
    }
  });
  return out;
}

/** A register map: entries valid on their own, no field twice, nothing overlapping. */
export const registerMapSchema = z
  .array(registerEntrySchema)
  .min(1, 'a register map needs at least one entry')
  .max(1000)
  .superRefine((entries, ctx) => {
    for (const p of mapProblems(entries))
      ctx.addIssue({ code: 'custom', path: [p.index, p.key], message: p.message });
  });

export type RegisterMapInput = z.input<typeof registerMapSchema>;
