import { isBitTable, lengthOf, type RegisterEntry, type RegisterTable } from './register-map.ts';

/** Protocol limits of one read request (Modbus application protocol v1.1b3, 6.1-6.4). */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

/** One read request: a contiguous block of one table and the fields it carries. */
export interface ReadRequest {
  table: RegisterTable;
  address: number;
  /** Registers, or bits for coils and discrete inputs. */
  count: number;
  entries: readonly RegisterEntry[];
}

export interface PlanLimits {
  registers: number;
  bits: number;
}

const TABLE_ORDER: readonly RegisterTable[] = ['holding', 'input', 'coil', 'discrete'];

/**
 * The fewest read requests that cover a map: per table, entries sorted by address are merged
 * while they touch (no gap is read: many devices answer an unmapped address with an exception)
 * and the block stays within the protocol limit. An entry is never split across requests.
 * Left-to-right greedy is optimal here: each block ends as far right as any block could.
 */
export function planReads(
  entries: readonly RegisterEntry[],
  limits: PlanLimits = { registers: MAX_REGISTERS_PER_READ, bits: MAX_BITS_PER_READ },
): ReadRequest[] {
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const limit = isBitTable(table) ? limits.bits : limits.registers;
    const spans = entries
      .filter((e) => e.table === table)
      .map((e) => ({ entry: e, start: e.address, end: e.address + lengthOf(e.type) }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    let block: { start: number; end: number; entries: RegisterEntry[] } | undefined;
    for (const span of spans) {
      const end = block ? Math.max(block.end, span.end) : span.end;
      if (block && span.start <= block.end && end - block.start <= limit) {
        block.end = end;
        block.entries.push(span.entry);
        continue;
      }
      if (block) requests.push(toRequest(table, block));
      block = { start: span.start, end: span.end, entries: [span.entry] };
    }
    if (block) requests.push(toRequest(table, block));
  }
  return requests;
}

function toRequest(table: RegisterTable, block: { start: number; end: number; entries: RegisterEntry[] }) {
  return { table, address: block.start, count: block.end - block.start, entries: block.entries };
}
