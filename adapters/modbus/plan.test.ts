import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planReads, type ReadRequest } from './plan.ts';
import { getProfile } from './profiles/index.ts';
import { isBitTable, lengthOf, mapProblems, type RegisterEntry, type RegisterTable } from './register-map.ts';

function at(
  table: RegisterTable,
  address: number,
  type: RegisterEntry['type'] = 'uint16',
  field = `f${address}`,
) {
  return { field, table, address, type, byteOrder: 'ABCD', scale: 1, offset: 0 } satisfies RegisterEntry;
}

const brief = (rs: ReadRequest[]) => rs.map((r) => `${r.table} ${r.address}+${r.count}`);

describe('planReads', () => {
  it('reads the booster profile in one request per table (4), the drainage profile in 3', () => {
    expect(brief(planReads(getProfile('booster-pump-v1').registers))).toEqual([
      'holding 0+1',
      'input 0+13',
      'coil 0+1',
      'discrete 0+1',
    ]);
    expect(brief(planReads(getProfile('drainage-pump-v1').registers))).toEqual([
      'holding 0+9',
      'coil 0+1',
      'discrete 0+2',
    ]);
  });

  it('never reads a gap, and splits at 125 registers without cutting a 32-bit value', () => {
    expect(brief(planReads([at('input', 0), at('input', 2), at('input', 3)]))).toEqual([
      'input 0+1',
      'input 2+2',
    ]);
    const long = Array.from({ length: 62 }, (_, i) => at('holding', i * 2, 'float32'));
    long.push(at('holding', 124, 'uint16'), at('holding', 125, 'int32'));
    expect(brief(planReads(long))).toEqual(['holding 0+125', 'holding 125+2']);
    const odd = [
      at('holding', 0, 'uint16'),
      ...Array.from({ length: 62 }, (_, i) => at('holding', 1 + i * 2, 'float32')),
    ];
    odd.push(at('holding', 125, 'float32'));
    expect(brief(planReads(odd))).toEqual(['holding 0+125', 'holding 125+2']);
  });

  it('reads up to 2000 coils in one request, and bits of one register together', () => {
    const coils = Array.from({ length: 2001 }, (_, i) => ({ ...at('coil', i, 'bool') }));
    expect(brief(planReads(coils))).toEqual(['coil 0+2000', 'coil 2000+1']);
    const bits = [0, 1, 2].map((bit) => ({ ...at('input', 9, 'bool', `b${bit}`), bit }));
    expect(brief(planReads([...bits, at('input', 10)]))).toEqual(['input 9+2']);
  });

  /** A valid map: random entries, overlapping ones dropped. */
  const maps = fc
    .array(
      fc.record({
        table: fc.constantFrom<RegisterTable>('holding', 'input', 'coil', 'discrete'),
        address: fc.integer({ min: 0, max: 400 }),
        wide: fc.boolean(),
      }),
      { maxLength: 300 },
    )
    .map((raw) => {
      const entries: RegisterEntry[] = [];
      for (const [i, r] of raw.entries()) {
        const type = isBitTable(r.table) ? 'bool' : r.wide ? 'int32' : 'uint16';
        const candidate = at(r.table, r.address, type, `f${i}`);
        if (mapProblems([...entries, candidate]).length === 0) entries.push(candidate);
      }
      return entries;
    });

  it('covers every entry exactly once, within the limits, without gaps, in the fewest requests (property)', () => {
    fc.assert(
      fc.property(maps, fc.integer({ min: 2, max: 125 }), (entries, limit) => {
        const plan = planReads(entries, { registers: limit, bits: limit });
        expect(plan.flatMap((r) => r.entries.map((e) => e.field)).sort()).toEqual(
          entries.map((e) => e.field).sort(),
        );
        for (const r of plan) {
          expect(r.count).toBeLessThanOrEqual(limit);
          const covered = new Set<number>();
          for (const e of r.entries) {
            expect(e.table).toBe(r.table);
            expect(e.address).toBeGreaterThanOrEqual(r.address);
            expect(e.address + lengthOf(e.type)).toBeLessThanOrEqual(r.address + r.count);
            for (let a = e.address; a < e.address + lengthOf(e.type); a++) covered.add(a);
          }
          expect(covered.size).toBe(r.count); // every address read belongs to an entry
        }
        // A lower bound no plan can beat: each maximal run of addresses needs ceil(len / limit).
        let bound = 0;
        for (const table of ['holding', 'input', 'coil', 'discrete'] as const) {
          const used = new Set(
            entries
              .filter((e) => e.table === table)
              .flatMap((e) => [e.address, e.address + lengthOf(e.type) - 1]),
          );
          const sorted = [...used].sort((a, b) => a - b);
          let runStart = sorted[0];
          for (let i = 0; i < sorted.length; i++) {
            if (i === sorted.length - 1 || sorted[i + 1]! > sorted[i]! + 1) {
              bound += Math.ceil((sorted[i]! - runStart! + 1) / limit);
              runStart = sorted[i + 1];
            }
          }
        }
        expect(plan.length).toBeGreaterThanOrEqual(bound);
        // With only 16-bit values nothing is unsplittable, so the bound is reached exactly.
        if (entries.every((e) => lengthOf(e.type) === 1)) expect(plan.length).toBe(bound);
      }),
      { numRuns: 500 },
    );
  });
});
