import type { Bus } from './bus.ts';
import type { Clock } from './clock.ts';
import type { DeviceConfig } from './config/devices.ts';
import type { DeviceEvent, DeviceKind, Quality, Reading, Scalar, Status } from './types.ts';

export interface FieldState {
  value: Scalar | null;
  ts: number;
  quality: Quality;
}

/** Everything known about one device right now. */
export interface DeviceState {
  id: string;
  kind: DeviceKind;
  site: string;
  name: string;
  protocol: DeviceConfig['protocol'];
  labels: Readonly<Record<string, string>>;
  links: readonly string[];
  values: Record<string, FieldState>;
  /** null until the device is first heard from. */
  online: boolean | null;
  /** Why it is in its online state. */
  reason: string;
  /** epoch ms of the last message of any kind, null when never heard from. */
  lastSeen: number | null;
  /** epoch ms since which `online` holds. */
  since: number;
  lastEvent: { type: string; ts: number } | null;
  offlineAfterMs: number | null;
}

/**
 * The live picture: latest values, online state with its reason, last seen. Fed by the pipeline;
 * announces each change on the bus as an `update`.
 */
export class DeviceRegistry {
  readonly #devices = new Map<string, DeviceState>();
  readonly #bus: Bus;
  readonly #clock: Clock;

  constructor(devices: readonly DeviceConfig[], deps: { bus: Bus; clock: Clock }) {
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    const now = this.#clock.now();
    for (const d of devices) {
      this.#devices.set(d.id, {
        id: d.id,
        kind: d.kind,
        site: d.site,
        name: d.name ?? d.id,
        protocol: d.protocol,
        labels: d.labels,
        links: d.links,
        values: {},
        online: null,
        reason: 'not heard from yet',
        lastSeen: null,
        since: now,
        lastEvent: null,
        offlineAfterMs: d.offlineAfter ?? null,
      });
    }
  }

  #version = 0;

  /** Grows with every change to any device: a reader can tell in O(1) that nothing changed. */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#devices.size;
  }

  has(id: string): boolean {
    return this.#devices.has(id);
  }

  get(id: string): DeviceState | undefined {
    return this.#devices.get(id);
  }

  list(): DeviceState[] {
    return [...this.#devices.values()];
  }

  applyReading(reading: Reading): void {
    const device = this.#devices.get(reading.deviceId);
    if (!device) return;
    const { values, quality, ts } = reading;
    for (const field in values) {
      const previous = device.values[field];
      const q = quality?.[field] ?? 'good';
      if (!previous) device.values[field] = { value: values[field]!, ts, quality: q };
      else if (previous.ts <= ts) {
        // Updated in place: a reading a second per device must not cost an object per field.
        previous.value = values[field]!;
        previous.ts = ts;
        previous.quality = q;
      } // else a late reading does not overwrite a newer one
    }
    if (quality) {
      for (const field in quality) {
        const q = quality[field]!;
        if (q !== 'good' && !(field in values)) device.values[field] = { value: null, ts, quality: q };
      }
    }
    this.#heard(device, 'data received');
    this.#bus.emit('update', {
      deviceId: device.id,
      ts: reading.ts,
      values: reading.values,
      online: device.online ?? undefined,
    });
  }

  applyEvent(event: DeviceEvent): void {
    const device = this.#devices.get(event.deviceId);
    if (!device) return;
    if (!device.lastEvent || device.lastEvent.ts <= event.ts)
      device.lastEvent = { type: event.type, ts: event.ts };
    this.#heard(device, 'data received');
  }

  /** A status from the device or its adapter. Returns true when the online state changed. */
  applyStatus(status: Status): boolean {
    const device = this.#devices.get(status.deviceId);
    if (!device) return false;
    if (status.online) device.lastSeen = this.#clock.now();
    return this.#setOnline(device, status.online, status.reason, status.ts);
  }

  /**
   * Marks devices offline that have been silent longer than their `offlineAfter`. Returns the
   * statuses it produced so the caller can log and record them.
   */
  checkSilence(now = this.#clock.now()): Status[] {
    const changed: Status[] = [];
    for (const device of this.#devices.values()) {
      if (device.offlineAfterMs === null || device.online === false) continue;
      const last = device.lastSeen ?? device.since;
      if (now - last > device.offlineAfterMs) {
        const reason = `silent for ${Math.round((now - last) / 1000)} s`;
        if (this.#setOnline(device, false, reason, now))
          changed.push({ deviceId: device.id, ts: now, online: false, reason });
      }
    }
    return changed;
  }

  #heard(device: DeviceState, reason: string): void {
    this.#version++;
    device.lastSeen = this.#clock.now();
    if (device.online !== true) this.#setOnline(device, true, reason, device.lastSeen);
  }

  #setOnline(device: DeviceState, online: boolean, reason: string, ts: number): boolean {
    this.#version++;
    if (device.online === online) {
      device.reason = device.online ? device.reason : reason;
      return false;
    }
    device.online = online;
    device.reason = reason;
    device.since = ts;
    this.#bus.emit('update', { deviceId: device.id, ts, online, reason });
    return true;
  }
}
