import { describe, expect, it } from 'vitest';
import { AlarmsFirst } from './alarms-first.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AlarmsFirst', () => {
  it('runs input at once while nothing was published', () => {
    const lane = new AlarmsFirst(() => {});
    const seen: string[] = [];
    lane.run((x: string) => seen.push(x), 'a');
    expect(seen).toEqual(['a']);
    expect(lane.waiting).toBe(0);
  });

  it('after a publish, queues input in order behind the broker’s deferred write', async () => {
    const lane = new AlarmsFirst(() => {});
    const seen: string[] = [];
    lane.published();
    // aedes queues a QoS 1 delivery from a promise callback: a microtask, then setImmediate.
    queueMicrotask(() => setImmediate(() => seen.push('alert written')));
    lane.run((x: string) => seen.push(x), 'a');
    lane.run((x: string) => seen.push(x), 'b');
    expect(seen).toEqual([]);
    expect(lane.waiting).toBe(2);
    await turn();
    await turn();
    expect(seen).toEqual(['alert written', 'a', 'b']);
    lane.run((x: string) => seen.push(x), 'c');
    expect(seen.at(-1)).toBe('c'); // drained: at once again
  });

  it('keeps the order when queued work publishes again: the rest waits behind that write', async () => {
    const lane = new AlarmsFirst(() => {});
    const seen: string[] = [];
    const alerting = (x: string): void => {
      seen.push(x);
      lane.published();
      queueMicrotask(() => setImmediate(() => seen.push(`alert of ${x}`)));
    };
    lane.published();
    lane.run((x: string) => seen.push(x), 'a');
    lane.run(alerting, 'b');
    lane.run((x: string) => seen.push(x), 'c');
    for (let i = 0; i < 6 && lane.waiting; i++) await turn();
    lane.run((x: string) => seen.push(x), 'd');
    await turn();
    expect(seen).toEqual(['a', 'b', 'alert of b', 'c', 'd']);
  });

  it('reports a handler that throws and goes on with the rest', async () => {
    const errors: unknown[] = [];
    const lane = new AlarmsFirst((err) => errors.push(err));
    const seen: string[] = [];
    lane.published();
    lane.run(() => {
      throw new Error('bad input');
    }, 'x');
    lane.run((x: string) => seen.push(x), 'a');
    await turn();
    await turn();
    expect(seen).toEqual(['a']);
    expect(errors).toEqual([new Error('bad input')]);
  });

  it('flush does the queued work at once', () => {
    const lane = new AlarmsFirst(() => {});
    const seen: string[] = [];
    lane.published();
    lane.run((x: string) => seen.push(x), 'a');
    lane.flush();
    expect(seen).toEqual(['a']);
    lane.run((x: string) => seen.push(x), 'b');
    expect(seen).toEqual(['a', 'b']);
  });

  it('keeps every piece of input, in order, through a storm of alerts', async () => {
    const lane = new AlarmsFirst(() => {});
    const seen: number[] = [];
    const handle = (i: number): void => {
      seen.push(i);
      if (i % 3 === 0) lane.published(); // every third message raises an alert
    };
    lane.published();
    let next = 0;
    let rounds = 0;
    // Input keeps coming while the queue drains in pieces.
    for (let round = 0; round < 1000 && (next < 6000 || lane.waiting); round++) {
      for (let k = 0; k < 15 && next < 6000; k++) lane.run(handle, next++);
      await turn();
      rounds++;
    }
    expect(seen).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    expect(lane.waiting).toBe(0);
    expect(rounds).toBeLessThan(500); // it keeps up (yielding at every alert it fell behind: 1,000+)
  });

  it('holds the connections’ reads from a publish until its write, and on flush', async () => {
    const events: string[] = [];
    const lane = new AlarmsFirst(() => {});
    lane.holdInputWith({ hold: () => events.push('hold'), release: () => events.push('release') });
    lane.published();
    queueMicrotask(() => setImmediate(() => events.push('alert written')));
    lane.run((x: string) => events.push(x), 'queued');
    expect(events).toEqual(['hold']);
    await turn();
    await turn();
    // Released after the write, before the queued input runs (it arrived earlier than the held).
    expect(events).toEqual(['hold', 'alert written', 'release', 'queued']);
    lane.published();
    lane.flush();
    expect(events.slice(4)).toEqual(['hold', 'release']);
  });
});
