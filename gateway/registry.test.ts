import { describe, expect, it } from 'vitest';
import { parseOrThrow, SMALL_CONFIG_YAML } from '../test/fixtures/configs.ts';
import { Bus, type DeviceUpdate } from './bus.ts';
import { DeviceRegistry } from './registry.ts';

function setup() {
  let now = Date.UTC(2026, 10, 27, 8, 0, 0);
  const clock = { now: () => now };
  const bus = new Bus();
  const updates: DeviceUpdate[] = [];
  bus.on('update', (u) => updates.push(u));
  const registry = new DeviceRegistry(parseOrThrow(SMALL_CONFIG_YAML).devices, { bus, clock });
  return { registry, updates, advance: (ms: number) => (now += ms), now: () => now };
}

describe('DeviceRegistry', () => {
  it('starts with every configured device, not yet heard from', () => {
    const { registry } = setup();
    expect(registry.size).toBe(4);
    expect(registry.get('door-1')).toMatchObject({
      online: null,
      lastSeen: null,
      labels: { building: 'b1' },
      site: 'garden-court',
    });
  });

  it('keeps the latest value of each field with its timestamp; a late reading does not overwrite', () => {
    const { registry, now } = setup();
    registry.applyReading({ deviceId: 'lift-1', ts: now(), values: { floor: 3, load_kg: 200 } });
    registry.applyReading({ deviceId: 'lift-1', ts: now() - 5000, values: { floor: 1 } });
    registry.applyReading({ deviceId: 'lift-1', ts: now() + 1000, values: { load_kg: 260 } });
    const lift = registry.get('lift-1')!;
    expect(lift.values.floor).toEqual({ value: 3, ts: now(), quality: 'good' });
    expect(lift.values.load_kg?.value).toBe(260);
    expect(lift.online).toBe(true);
    expect(lift.lastSeen).toBe(now());
  });

  it('records a missing value with its quality, never as zero', () => {
    const { registry, now } = setup();
    registry.applyReading({ deviceId: 'lift-1', ts: now(), values: {}, quality: { load_kg: 'missing' } });
    expect(registry.get('lift-1')!.values.load_kg).toEqual({ value: null, ts: now(), quality: 'missing' });
  });

  it('goes offline on a status with its reason, and back online on data', () => {
    const { registry, updates, now, advance } = setup();
    registry.applyReading({ deviceId: 'door-1', ts: now(), values: { door_open: false } });
    expect(
      registry.applyStatus({
        deviceId: 'door-1',
        ts: now(),
        online: false,
        reason: 'last will (connection lost)',
      }),
    ).toBe(true);
    expect(registry.get('door-1')).toMatchObject({ online: false, reason: 'last will (connection lost)' });
    expect(registry.applyStatus({ deviceId: 'door-1', ts: now(), online: false, reason: 'again' })).toBe(
      false,
    );
    advance(5000);
    registry.applyEvent({ deviceId: 'door-1', ts: now(), type: 'door.forced', data: {} });
    expect(registry.get('door-1')).toMatchObject({
      online: true,
      since: now(),
      lastEvent: { type: 'door.forced', ts: now() },
    });
    expect(updates.filter((u) => u.online === false)).toHaveLength(1);
  });

  it('marks a device offline after silence longer than offlineAfter, once', () => {
    const { registry, now, advance } = setup();
    registry.applyReading({ deviceId: 'door-1', ts: now(), values: { door_open: false } });
    advance(1500);
    expect(registry.checkSilence(now())).toEqual([]);
    advance(1000);
    const changed = registry.checkSilence(now());
    expect(changed).toEqual([{ deviceId: 'door-1', ts: now(), online: false, reason: 'silent for 3 s' }]);
    expect(registry.checkSilence(now() + 10_000)).toEqual([]);
    // door-2 has no offlineAfter: silence alone never marks it offline
    expect(registry.get('door-2')!.online).toBeNull();
  });

  it('ignores values for devices it does not know', () => {
    const { registry, updates, now } = setup();
    registry.applyReading({ deviceId: 'ghost', ts: now(), values: { floor: 1 } });
    expect(registry.applyStatus({ deviceId: 'ghost', ts: now(), online: true, reason: 'x' })).toBe(false);
    expect(updates).toHaveLength(0);
  });
});
