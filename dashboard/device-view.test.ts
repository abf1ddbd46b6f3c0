import { describe, expect, it } from 'vitest';
import { Bus } from '../gateway/bus.ts';
import { DeviceRegistry } from '../gateway/registry.ts';
import { parseOrThrow, SMALL_CONFIG_YAML } from '../test/fixtures/configs.ts';
import { DeviceView } from './device-view.ts';

function setup() {
  let now = Date.UTC(2026, 10, 27, 8, 0, 0);
  const bus = new Bus();
  const registry = new DeviceRegistry(parseOrThrow(SMALL_CONFIG_YAML).devices, {
    bus,
    clock: { now: () => now },
  });
  return { registry, view: new DeviceView(registry, bus), tick: () => (now += 1000) };
}

describe('DeviceView.listJson', () => {
  it('serves the same bytes while nothing changed, and fresh ones after any change', () => {
    const { registry, view, tick } = setup();
    const first = view.listJson();
    expect(view.listJson()).toBe(first);
    tick();
    registry.applyReading({ deviceId: 'lift-1', ts: Date.UTC(2026, 10, 27, 8, 0, 1), values: { floor: 5 } });
    const second = view.listJson();
    expect(second).not.toBe(first);
    const lift = (
      JSON.parse(second.toString()) as Array<{ id: string; values: Record<string, { value: unknown }> }>
    ).find((d) => d.id === 'lift-1');
    expect(lift?.values.floor?.value).toBe(5);
    registry.applyEvent({
      deviceId: 'door-1',
      ts: Date.UTC(2026, 10, 27, 8, 0, 1),
      type: 'door.forced',
      data: {},
    });
    expect(view.listJson()).not.toBe(second);
  });

  it('keeps filtered and unfiltered lists apart', () => {
    const { view } = setup();
    const all = JSON.parse(view.listJson().toString()) as unknown[];
    const lifts = JSON.parse(view.listJson({ kind: 'elevator' }).toString()) as Array<{ kind: string }>;
    expect(all).toHaveLength(4);
    expect(lifts.map((d) => d.kind)).toEqual(['elevator', 'elevator']);
    expect(JSON.parse(view.listJson().toString())).toHaveLength(4);
  });
});
