import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemorySeriesStore } from '../test/fixtures/memory-series-store.ts';
import { parseOrThrow, SMALL_CONFIG_YAML } from '../test/fixtures/configs.ts';
import { EventEmitter } from 'node:events';
import type { Adapter } from '../adapters/types.ts';
import { AlarmsFirst } from './alarms-first.ts';
import { Bus } from './bus.ts';
import { DeadLetterList } from './dead-letters.ts';
import { createLogger } from './log.ts';
import { Metrics } from './metrics.ts';
import { Pipeline } from './pipeline.ts';
import { Pseudonymiser } from './privacy.ts';
import { DeviceRegistry } from './registry.ts';

function setup(lane?: AlarmsFirst) {
  let now = Date.UTC(2026, 10, 27, 8, 0, 0);
  const clock = { now: () => now };
  const lines: Array<{ msg: string; [k: string]: unknown }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const log = createLogger({ level: 'info', destination });
  const bus = new Bus();
  const registry = new DeviceRegistry(parseOrThrow(SMALL_CONFIG_YAML).devices, { bus, clock });
  const store = new MemorySeriesStore();
  const metrics = new Metrics();
  const deadLetters = new DeadLetterList(3);
  const privacy = new Pseudonymiser(Buffer.alloc(32, 7));
  const pipeline = new Pipeline({ registry, store, bus, metrics, deadLetters, privacy, log, clock, lane });
  return {
    pipeline,
    registry,
    store,
    metrics,
    deadLetters,
    lines,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
}

const flushLogs = () => new Promise((r) => setImmediate(r));

describe('Pipeline', () => {
  it('takes adapter input through the lane: held while an alert is on its way out, then in order', async () => {
    const lane = new AlarmsFirst(() => {});
    const { pipeline, store, deadLetters, now } = setup(lane);
    const adapter = new EventEmitter();
    const detach = pipeline.attach(adapter as unknown as Adapter);
    adapter.emit('reading', { deviceId: 'lift-1', ts: now(), values: { floor: 1 } });
    expect(store.points).toHaveLength(1); // nothing published: at once
    lane.published();
    adapter.emit('reading', { deviceId: 'lift-1', ts: now() + 1, values: { floor: 2 } });
    adapter.emit('rejected', { ts: now(), reason: 'not_json', source: 'mqtt', detail: 'x', sample: 'x' });
    adapter.emit('reading', { deviceId: 'lift-1', ts: now() + 2, values: { floor: 3 } });
    expect(store.points).toHaveLength(1);
    expect(deadLetters.list()).toHaveLength(0);
    await flushLogs();
    await flushLogs();
    expect(store.points.map((p) => p.fields.floor)).toEqual([1, 2, 3]);
    expect(deadLetters.list()).toHaveLength(1);
    detach();
  });

  it('writes a reading as a point of the device kind, tagged with site, device and labels', async () => {
    const { pipeline, store, now } = setup();
    pipeline.reading({ deviceId: 'lift-1', ts: now(), values: { floor: 4, moving: true } });
    await store.flush();
    expect(store.points).toEqual([
      {
        measurement: 'elevator',
        tags: { building: 'b1', site: 'garden-court', device: 'lift-1' },
        fields: { floor: 4, moving: true },
        ts: now(),
      },
    ]);
  });

  it('leaves fields that could not be read out of the series', async () => {
    const { pipeline, store, now } = setup();
    pipeline.reading({
      deviceId: 'lift-1',
      ts: now(),
      values: { floor: 4 },
      quality: { load_kg: 'missing' },
    });
    expect(store.points[0]!.fields).toEqual({ floor: 4 });
  });

  it('pseudonymises person identifiers of events before storing them', () => {
    const { pipeline, store, now } = setup();
    pipeline.event({
      deviceId: 'door-1',
      ts: now(),
      type: 'access.granted',
      data: { credential: 'card', person: 'Zhang San' },
    });
    const point = store.points[0]!;
    expect(point.measurement).toBe('events');
    expect(point.tags).toEqual({
      site: 'garden-court',
      device: 'door-1',
      kind: 'access',
      type: 'access.granted',
    });
    expect(point.fields.person).toMatch(/^p-[0-9a-f]{16}$/);
    expect(JSON.stringify(store.points)).not.toContain('Zhang');
  });

  it('logs a rejected input once per device and reason per minute, but counts and keeps every one', async () => {
    const { pipeline, metrics, deadLetters, lines, advance, now } = setup();
    for (let i = 0; i < 5; i++) {
      pipeline.rejected({
        ts: now(),
        reason: 'not_json',
        source: 'mqtt',
        deviceId: 'lift-1',
        topic: 't',
        detail: 'x',
        sample: 'x',
      });
    }
    pipeline.rejected({
      ts: now(),
      reason: 'not_json',
      source: 'mqtt',
      deviceId: 'lift-2',
      topic: 't',
      detail: 'x',
      sample: 'x',
    });
    advance(61_000);
    pipeline.rejected({
      ts: now(),
      reason: 'not_json',
      source: 'mqtt',
      deviceId: 'lift-1',
      topic: 't',
      detail: 'x',
      sample: 'x',
    });
    await flushLogs();
    const logged = lines.filter((l) => String(l.msg).startsWith('rejected input'));
    expect(logged.map((l) => l.device)).toEqual(['lift-1', 'lift-2', 'lift-1']);
    expect(logged[2]!.suppressed).toBe(4);
    expect((await metrics.rejects.get()).values.find((v) => v.labels.reason === 'not_json')?.value).toBe(7);
    expect(deadLetters.total).toBe(7);
    expect(deadLetters.list()).toHaveLength(3);
  });

  it('logs "offline" once and "back after" once, whatever the number of messages', async () => {
    const { pipeline, registry, lines, advance, now } = setup();
    pipeline.reading({ deviceId: 'door-1', ts: now(), values: { door_open: false } });
    advance(3000);
    pipeline.checkSilence();
    pipeline.checkSilence();
    expect(registry.get('door-1')!.online).toBe(false);
    advance(42_000);
    pipeline.reading({ deviceId: 'door-1', ts: now(), values: { door_open: false } });
    pipeline.reading({ deviceId: 'door-1', ts: now(), values: { door_open: true } });
    await flushLogs();
    const messages = lines.map((l) => l.msg);
    expect(messages.filter((m) => m.startsWith('door-1 offline'))).toEqual([
      'door-1 offline: silent for 3 s',
    ]);
    expect(messages.filter((m) => m.startsWith('door-1 back'))).toEqual(['door-1 back after 42 s']);
  });
});
