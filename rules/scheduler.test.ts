import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimerQueue } from './scheduler.ts';

describe('the timer queue', () => {
  it('hands out keys in time order, keeping only the earliest time per key', () => {
    const q = new TimerQueue();
    q.schedule('a', 30);
    q.schedule('b', 10);
    q.schedule('a', 50); // later than the one it has: ignored
    q.schedule('c', 20);
    q.schedule('c', 5); // earlier: replaces
    q.cancel('b');
    expect(q.next()).toBe(5);
    expect(q.takeDue(25)).toEqual(['c']);
    expect(q.takeDue(100)).toEqual(['a']);
    expect(q.next()).toBeUndefined();
    q.schedule('a', 200);
    expect(q.takeDue(200)).toEqual(['a']);
  });

  it('agrees with a sorted list on random schedules', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 100 }))),
        (ops) => {
          const q = new TimerQueue();
          const model = new Map<string, number>();
          for (const [k, t] of ops) {
            q.schedule(k, t);
            if (!model.has(k) || model.get(k)! > t) model.set(k, t);
          }
          const expected = [...model].sort((x, y) => x[1] - y[1]).map(([k]) => k);
          const got = q.takeDue(100);
          expect(got.map((k) => model.get(k))).toEqual(expected.map((k) => model.get(k)));
          expect(new Set(got)).toEqual(new Set(expected));
        },
      ),
    );
  });
});
