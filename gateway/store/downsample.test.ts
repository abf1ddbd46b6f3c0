import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketWidthMs, downsample } from './downsample.ts';

describe('downsample', () => {
  it('cuts [from, to) into at most N equal buckets starting at from', () => {
    expect(bucketWidthMs(0, 100, 10)).toBe(10);
    expect(bucketWidthMs(0, 100, 7)).toBe(15);
    expect(bucketWidthMs(0, 5, 10)).toBe(1);
  });

  it('averages numbers, counts booleans as 0/1, keeps the last string of an all-string bucket', () => {
    const samples = [
      { ts: 0, value: 1 },
      { ts: 4, value: true },
      { ts: 5, value: 'a' },
      { ts: 12, value: 'b' },
      { ts: 13, value: 'c' },
      { ts: 25, value: false },
    ];
    expect(
      downsample(samples, { measurement: 'm', device: 'd', field: 'f', from: 0, to: 30, points: 3 }),
    ).toEqual([
      { ts: 0, value: 1 },
      { ts: 10, value: 'c' },
      { ts: 20, value: 0 },
    ]);
  });

  it('property: never more than N buckets, all inside [from, to), the overall mean preserved', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 1e5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (from, span, points, values) => {
          const to = from + span;
          const samples = values.map((value, i) => ({
            ts: from + Math.floor((i * span) / values.length),
            value,
          }));
          const out = downsample(samples, { measurement: 'm', device: 'd', field: 'f', from, to, points });
          expect(out.length).toBeLessThanOrEqual(points);
          for (const s of out) expect(s.ts >= from && s.ts < to).toBe(true);
          const width = bucketWidthMs(from, to, points);
          const counts = out.map((b) => samples.filter((s) => s.ts >= b.ts && s.ts < b.ts + width).length);
          const total = out.reduce((acc, b, i) => acc + (b.value as number) * counts[i]!, 0);
          const expected = values.reduce((a, b) => a + b, 0);
          expect(total).toBeCloseTo(expected, 0);
        },
      ),
    );
  });
});
