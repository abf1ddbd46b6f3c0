import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom, hashSeed } from './random.ts';

const draw = (seed: number, n: number): number[] => {
  const r = createRandom(seed);
  return Array.from({ length: n }, () => r.next());
};

describe('createRandom', () => {
  it('replays the same sequence from the same seed and a different one from another seed', () => {
    expect(draw(42, 50)).toEqual(draw(42, 50));
    expect(draw(42, 50)).not.toEqual(draw(43, 50));
  });

  it('keeps every helper inside its range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const r = createRandom(seed);
        for (let i = 0; i < 50; i++) {
          const x = r.next();
          expect(x >= 0 && x < 1).toBe(true);
          const u = r.uniform(3, 5);
          expect(u >= 3 && u < 5).toBe(true);
          const k = r.int(-2, 2);
          expect(Number.isInteger(k) && k >= -2 && k <= 2).toBe(true);
          const n = r.normal(70, 30, 20, 130);
          expect(n >= 20 && n <= 130).toBe(true);
          expect(r.exponential(10)).toBeGreaterThanOrEqual(0);
          expect(r.hex(8)).toMatch(/^[0-9a-f]{8}$/);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('draws roughly the asked-for distributions', () => {
    const r = createRandom(7);
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    let hits = 0;
    let exp = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal(10, 2);
      sum += x;
      sumSq += x * x;
      if (r.chance(0.25)) hits++;
      exp += r.exponential(4);
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(sumSq / n - mean * mean)).toBeCloseTo(2, 1);
    expect(hits / n).toBeCloseTo(0.25, 1);
    expect(exp / n).toBeGreaterThan(3.8);
    expect(exp / n).toBeLessThan(4.2);
  });

  it('picks by weight and refuses empty choices', () => {
    const r = createRandom(3);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4_000; i++)
      counts[
        r.weighted([
          ['a', 3],
          ['b', 1],
        ] as const)
      ]++;
    expect(counts.a / counts.b).toBeGreaterThan(2.5);
    expect(counts.a / counts.b).toBeLessThan(3.5);
    expect(() => r.pick([])).toThrow(RangeError);
    expect(() => r.weighted([['a', 0]])).toThrow(RangeError);
  });

  it('forks independent, stable streams per label', () => {
    const a1 = createRandom(9).fork('door-1');
    const a2 = createRandom(9).fork('door-1');
    const b = createRandom(9).fork('door-2');
    const seqA1 = [a1.next(), a1.next(), a1.next()];
    expect([a2.next(), a2.next(), a2.next()]).toEqual(seqA1);
    expect([b.next(), b.next(), b.next()]).not.toEqual(seqA1);
  });

  it('hashes seeds stably and keeps part boundaries apart', () => {
    expect(hashSeed(1, 'door-1')).toBe(hashSeed(1, 'door-1'));
    expect(hashSeed('ab', 'c')).not.toBe(hashSeed('a', 'bc'));
    expect(hashSeed(1, 'x')).not.toBe(hashSeed(2, 'x'));
  });
});
