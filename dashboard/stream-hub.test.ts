import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Bus } from '../gateway/bus.ts';
import { mergeUpdate, StreamHub } from './stream-hub.ts';

/** A response whose socket is "full" while `full` is set. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  full = false;
  destroyed = false;
  writableEnded = false;
  status = 0;
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  write(text: string): boolean {
    this.chunks.push(text);
    return !this.full;
  }
  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }
  messages(event: string): unknown[] {
    return this.chunks
      .join('')
      .split('\n\n')
      .filter((b) => b.startsWith(`event: ${event}\n`))
      .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)));
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
}

afterEach(() => vi.useRealTimers());

function setup() {
  vi.useFakeTimers();
  const bus = new Bus();
  const hub = new StreamHub({ bus, clock: { now: () => 42 }, batchMs: 250, pingMs: 15_000 });
  return { bus, hub };
}

describe('StreamHub', () => {
  it('merges values per device; the latest online and reason win', () => {
    const into = new Map();
    mergeUpdate(into, { deviceId: 'd', ts: 1, values: { a: 1, b: 1 }, online: true });
    mergeUpdate(into, { deviceId: 'd', ts: 2, values: { b: 2 }, online: false, reason: 'x' });
    mergeUpdate(into, { deviceId: 'd', ts: 3, values: { c: 3 } });
    expect(into.get('d')).toEqual({
      deviceId: 'd',
      ts: 3,
      values: { a: 1, b: 2, c: 3 },
      online: false,
      reason: 'x',
    });
  });

  it('skips batches for a client whose socket is full and sends the merged state after it drains', () => {
    const { bus, hub } = setup();
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    hub.open(slow as unknown as ServerResponse, { username: 'a', role: 'viewer' }, () => true);
    hub.open(fast as unknown as ServerResponse, { username: 'b', role: 'viewer' }, () => true);
    slow.full = true;
    bus.emit('update', { deviceId: 'd1', ts: 1, values: { x: 1 } });
    vi.advanceTimersByTime(250);
    const slowWrites = slow.chunks.length;
    for (let i = 0; i < 20; i++) {
      bus.emit('update', { deviceId: 'd1', ts: 2 + i, values: { x: 2 + i } });
      bus.emit('update', { deviceId: `d${i + 2}`, ts: 2, values: { y: i } });
      vi.advanceTimersByTime(250);
    }
    // Nothing more written to the full socket (the first batch filled it).
    expect(slow.chunks.length).toBe(slowWrites);
    expect(fast.messages('devices')).toHaveLength(21);
    slow.drain();
    vi.advanceTimersByTime(250);
    const batches = slow.messages('devices') as Array<Array<{ deviceId: string; values: unknown }>>;
    expect(batches).toHaveLength(2);
    expect(batches[1]).toHaveLength(21);
    expect(batches[1]!.find((u) => u.deviceId === 'd1')!.values).toEqual({ x: 21 });
    hub.closeAll();
  });

  it('holds at most the newest events for a full socket and sends them on drain', () => {
    const { bus, hub } = setup();
    const slow = new FakeResponse();
    hub.open(slow as unknown as ServerResponse, { username: 'a', role: 'viewer' }, () => true);
    slow.full = true;
    bus.emit('event', { deviceId: 'd', ts: 0, type: 't', data: {} });
    for (let i = 1; i <= 2000; i++) bus.emit('event', { deviceId: 'd', ts: i, type: 't', data: {} });
    expect(slow.messages('event')).toHaveLength(1);
    slow.drain();
    const events = slow.messages('event') as Array<{ ts: number }>;
    expect(events.length).toBe(501);
    expect(events.at(-1)!.ts).toBe(2000);
    hub.closeAll();
  });

  it('pings every 15 s and ends a stream whose session ended; the last one unsubscribes', () => {
    const { bus, hub } = setup();
    let alive = true;
    const res = new FakeResponse();
    hub.open(res as unknown as ServerResponse, { username: 'a', role: 'viewer' }, () => alive);
    expect(bus.listenerCount('update')).toBe(1);
    vi.advanceTimersByTime(15_000);
    expect(res.chunks.at(-1)).toBe(': ping\n\n');
    alive = false;
    vi.advanceTimersByTime(15_000);
    expect(res.writableEnded).toBe(true);
    expect(hub.size).toBe(0);
    expect(bus.listenerCount('update')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('closeUser ends only that user', () => {
    const { hub } = setup();
    const a = new FakeResponse();
    const b = new FakeResponse();
    hub.open(a as unknown as ServerResponse, { username: 'a', role: 'viewer' }, () => true);
    hub.open(b as unknown as ServerResponse, { username: 'b', role: 'viewer' }, () => true);
    hub.closeUser('a');
    expect(a.writableEnded).toBe(true);
    expect(b.writableEnded).toBe(false);
    expect(hub.countFor('b')).toBe(1);
    hub.closeAll();
  });
});
