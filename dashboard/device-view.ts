import type { Bus } from '../gateway/bus.ts';
import type { DeviceRegistry, DeviceState, FieldState } from '../gateway/registry.ts';
import type { DeviceKind } from '../gateway/types.ts';

/** One row of `GET /api/devices`. */
export interface DeviceSummary {
  id: string;
  kind: DeviceKind;
  site: string;
  name: string;
  protocol: DeviceState['protocol'];
  labels: Readonly<Record<string, string>>;
  online: boolean | null;
  reason: string;
  lastSeen: number | null;
  since: number;
  values: Record<string, FieldState>;
}

export interface DeviceFilter {
  kind?: DeviceKind;
  site?: string;
  /** `null`: never heard from. */
  online?: boolean | null;
  /** Every pair must match the device's labels. */
  labels?: Record<string, string>;
}

interface CachedRow {
  lastSeen: number | null;
  since: number;
  online: boolean | null;
  reason: string;
  json: string;
}

export function deviceSummary(d: DeviceState): DeviceSummary {
  return {
    id: d.id,
    kind: d.kind,
    site: d.site,
    name: d.name,
    protocol: d.protocol,
    labels: d.labels,
    online: d.online,
    reason: d.reason,
    lastSeen: d.lastSeen,
    since: d.since,
    values: d.values,
  };
}

/**
 * The device list as JSON, kept per device so that a dashboard polling 10,000 devices every two
 * seconds re-serialises only the devices that changed. A row is rebuilt when the bus announced an
 * `update` for its device (every new value does) or when its online state, reason or last-seen
 * time moved (an event or a status can change those without an update).
 */
export class DeviceView {
  readonly #registry: DeviceRegistry;
  readonly #rows = new Map<string, CachedRow>();
  readonly #dirty = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(registry: DeviceRegistry, bus: Bus) {
    this.#registry = registry;
    this.#unsubscribe = bus.on('update', (update) => this.#dirty.add(update.deviceId));
  }

  /** A JSON array of the summaries of the devices that pass the filter, in config order. */
  listJson(filter: DeviceFilter = {}): string {
    const parts: string[] = [];
    const labelPairs = Object.entries(filter.labels ?? {});
    for (const device of this.#registry.list()) {
      if (filter.kind !== undefined && device.kind !== filter.kind) continue;
      if (filter.site !== undefined && device.site !== filter.site) continue;
      if (filter.online !== undefined && device.online !== filter.online) continue;
      if (labelPairs.length && !labelPairs.every(([k, v]) => device.labels[k] === v)) continue;
      parts.push(this.#row(device));
    }
    return `[${parts.join(',')}]`;
  }

  /** Stops listening to the bus. */
  close(): void {
    this.#unsubscribe();
    this.#rows.clear();
  }

  #row(d: DeviceState): string {
    const cached = this.#rows.get(d.id);
    if (
      cached &&
      !this.#dirty.has(d.id) &&
      cached.lastSeen === d.lastSeen &&
      cached.since === d.since &&
      cached.online === d.online &&
      cached.reason === d.reason
    )
      return cached.json;
    this.#dirty.delete(d.id);
    const json = JSON.stringify(deviceSummary(d));
    this.#rows.set(d.id, { lastSeen: d.lastSeen, since: d.since, online: d.online, reason: d.reason, json });
    return json;
  }
}
