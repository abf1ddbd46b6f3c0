import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.ts';

describe('backoffDelayMs', () => {
  const options = { minMs: 100, maxMs: 1000 };
  it('doubles per attempt, stays within [ceiling/2, ceiling] and never exceeds the cap', () => {
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelayMs(a, options, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelayMs(a, options, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });
});
