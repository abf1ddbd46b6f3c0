import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveStore } from './live.ts';
import type { Device } from './types.ts';

// The store runs in the browser; here animation frames are run by hand.
let frames: FrameRequestCallback[] = [];
beforeEach(() => {
  frames = [];
  vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => frames.push(cb));
  vi.stubGlobal('cancelAnimationFrame', () => {});
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const runFrame = () => {
  const pending = frames;
  frames = [];
  for (const cb of pending) cb(0);
};

const device = (id: string): Device => ({
  id,
  kind: 'elevator',
  site: 's',
  name: id,
  protocol: 'mqtt',
  labels: { building: 'b1' },
  online: true,
  reason: '',
  lastSeen: 1,
  since: 1,
  values: {},
});

describe('LiveStore', () => {
  it('applies every message queued in a frame with one notification', () => {
    const store = new LiveStore();
    store.devices = new Map([
      ['lift-a', device('lift-a')],
      ['lift-b', device('lift-b')],
    ]);
    const heard = vi.fn();
    store.subscribe(heard);
    for (let floor = 1; floor <= 500; floor++)
      store.push({ type: 'devices', deltas: [{ deviceId: 'lift-a', ts: 1000 + floor, values: { floor } }] });
    store.push({
      type: 'devices',
      deltas: [{ deviceId: 'lift-b', ts: 2000, online: false, reason: 'silent' }],
    });
    expect(frames).toHaveLength(1);
    expect(heard).not.toHaveBeenCalled();
    runFrame();
    expect(heard).toHaveBeenCalledTimes(1);
    expect(store.devices.get('lift-a')!.values.floor).toEqual({ value: 500, ts: 1500, quality: 'good' });
    expect(store.devices.get('lift-b')).toMatchObject({ online: false, reason: 'silent', since: 2000 });
    expect(store.deviceUpdates).toBe(501);
    expect(store.sparks.get('lift-a/floor')).toHaveLength(60);
  });

  it('announces new alerts and ignores an older copy of a known one', () => {
    const store = new LiveStore();
    const heard: [string, boolean][] = [];
    store.onAlert((alert, isNew) => heard.push([alert.state, isNew]));
    const alert = {
      id: 'a1',
      rule: 'door-forced',
      device: 'door-1',
      deviceName: 'Door 1',
      kind: 'access' as const,
      severity: 'major' as const,
      team: 'security',
      message: 'forced',
      state: 'active' as const,
      startedAt: 1,
      ackedAt: null,
      ackedBy: null,
      resolvedAt: null,
      resolvedBy: null,
      snapshots: [],
      seq: 2,
    };
    store.push({ type: 'alert', alert });
    runFrame();
    store.push({ type: 'alert', alert: { ...alert, state: 'acknowledged', seq: 3 } });
    store.push({ type: 'alert', alert: { ...alert, state: 'active', seq: 1 } });
    runFrame();
    expect(heard).toEqual([
      ['active', true],
      ['acknowledged', false],
    ]);
    expect(store.alerts.get('a1')!.state).toBe('acknowledged');
  });
});
