import { api } from './api.ts';
import type { Alert, Device, DeviceDelta, DeviceEvent, FieldState } from './types.ts';

export type Connection = 'connecting' | 'live' | 'polling';

const POLL_MS = 5000;
const REOPEN_MS = 10_000;
const SPARK_POINTS = 60;
const MAX_EVENTS = 200;

type Incoming =
  | { type: 'devices'; deltas: DeviceDelta[] }
  | { type: 'alert'; alert: Alert }
  | { type: 'event'; event: DeviceEvent };

/**
 * What the page knows right now: devices, alerts, recent events, and the connection. Fed by the
 * SSE stream (`/api/stream`) or, while that is down, by polling every 5 s. Incoming messages are
 * queued and applied once per animation frame, and listeners hear one change per frame, so 2,000
 * devices at 1 Hz cost one render per frame, not 2,000.
 */
export class LiveStore {
  devices = new Map<string, Device>();
  alerts = new Map<string, Alert>();
  events: DeviceEvent[] = [];
  /** Recent numeric values per `device/field`, for sparklines. */
  readonly sparks = new Map<string, number[]>();
  connection: Connection = 'connecting';
  /** Bumped on every applied batch; views compare it to know they are stale. */
  version = 0;
  /** SSE messages and device updates applied since start (`window.cgwLive`, read by bench/dashboard.ts). */
  absorbed = 0;
  deviceUpdates = 0;

  readonly #listeners = new Set<() => void>();
  readonly #alertListeners = new Set<(alert: Alert, isNew: boolean) => void>();
  #queue: Incoming[] = [];
  #frame = 0;
  #source: EventSource | undefined;
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #reopenTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hears every alert that arrives live; `isNew` when the page had not seen it. */
  onAlert(listener: (alert: Alert, isNew: boolean) => void): () => void {
    this.#alertListeners.add(listener);
    return () => this.#alertListeners.delete(listener);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    // Recent events once (the doors' "last event"); the stream keeps them current.
    this.events = await api<DeviceEvent[]>(`/api/events?limit=${MAX_EVENTS}`).catch(() => []);
    await this.resync();
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    this.#source?.close();
    this.#source = undefined;
    clearInterval(this.#pollTimer);
    clearTimeout(this.#reopenTimer);
    this.#pollTimer = undefined;
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#queue = [];
  }

  /** Full state from the JSON API (at start, after a reconnect, and each poll). */
  async resync(): Promise<void> {
    const [devices, alerts] = await Promise.all([
      api<Device[]>('/api/devices'),
      api<Alert[]>('/api/alerts?state=open&limit=1000').catch(() => [] as Alert[]),
    ]);
    const first = this.version === 0;
    this.devices = new Map(devices.map((d) => [d.id, d]));
    for (const d of devices)
      for (const [field, v] of Object.entries(d.values)) this.#spark(d.id, field, v.value);
    const open = new Set(alerts.map((a) => a.id));
    for (const alert of alerts) {
      const known = this.alerts.get(alert.id);
      this.alerts.set(alert.id, alert);
      if (!first && (!known || known.seq !== alert.seq)) this.#announce(alert, !known);
    }
    // An open alert that is no longer open was acknowledged/resolved elsewhere: keep it as resolved.
    for (const [id, alert] of this.alerts)
      if (!open.has(id) && alert.state !== 'resolved') this.alerts.set(id, { ...alert, state: 'resolved' });
    this.#changed();
  }

  /** Applies an alert the page itself changed (acknowledge, resolve). */
  putAlert(alert: Alert): void {
    this.alerts.set(alert.id, alert);
    this.#changed();
  }

  /** Queues one message; the bench and the SSE handlers call it. */
  push(message: Incoming): void {
    this.#queue.push(message);
    if (!this.#frame) this.#frame = requestAnimationFrame(() => this.#flush());
  }

  #open(): void {
    if (this.#stopped || typeof EventSource === 'undefined') return this.#startPolling();
    const source = new EventSource('/api/stream');
    this.#source = source;
    const parse = <T>(e: Event): T | undefined => {
      try {
        return JSON.parse((e as MessageEvent<string>).data) as T;
      } catch {
        return undefined;
      }
    };
    source.addEventListener('hello', () => {
      const wasDown = this.connection !== 'live';
      this.connection = 'live';
      this.#stopPolling();
      // Whatever happened while the stream was down is picked up once.
      if (wasDown) void this.resync().catch(() => {});
      this.#changed();
    });
    source.addEventListener('devices', (e) => {
      const deltas = parse<DeviceDelta[]>(e);
      if (Array.isArray(deltas)) this.push({ type: 'devices', deltas });
    });
    source.addEventListener('alert', (e) => {
      const alert = parse<Alert>(e);
      if (alert?.id) this.push({ type: 'alert', alert });
    });
    source.addEventListener('event', (e) => {
      const event = parse<DeviceEvent>(e);
      if (event?.deviceId) this.push({ type: 'event', event });
    });
    source.onerror = () => {
      // The browser retries by itself while CONNECTING; a CLOSED source (404, 401, wrong type)
      // is reopened later. Meanwhile the page polls.
      this.#startPolling();
      if (source.readyState === EventSource.CLOSED && !this.#stopped) {
        this.#source = undefined;
        this.#reopenTimer = setTimeout(() => this.#open(), REOPEN_MS);
      }
    };
  }

  #startPolling(): void {
    if (this.connection !== 'polling') {
      this.connection = 'polling';
      this.#changed();
    }
    if (this.#pollTimer || this.#stopped) return;
    this.#pollTimer = setInterval(() => void this.resync().catch(() => {}), POLL_MS);
  }

  #stopPolling(): void {
    clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  #flush(): void {
    this.#frame = 0;
    const queue = this.#queue;
    this.#queue = [];
    for (const message of queue) {
      this.absorbed++;
      if (message.type === 'devices') {
        this.deviceUpdates += message.deltas.length;
        for (const delta of message.deltas) this.#applyDelta(delta);
      } else if (message.type === 'alert') {
        const known = this.alerts.get(message.alert.id);
        if (known && known.seq > message.alert.seq) continue;
        this.alerts.set(message.alert.id, message.alert);
        this.#announce(message.alert, !known);
      } else {
        this.events.unshift(message.event);
        if (this.events.length > MAX_EVENTS) this.events.length = MAX_EVENTS;
      }
    }
    this.#changed();
  }

  #applyDelta(delta: DeviceDelta): void {
    const device = this.devices.get(delta.deviceId);
    if (!device) return;
    const next: Device = { ...device, lastSeen: Math.max(device.lastSeen ?? 0, delta.ts) };
    if (delta.values) {
      next.values = { ...device.values };
      for (const [field, raw] of Object.entries(delta.values)) {
        const state: FieldState =
          raw !== null && typeof raw === 'object' ? raw : { value: raw, ts: delta.ts, quality: 'good' };
        next.values[field] = state;
        this.#spark(device.id, field, state.value);
      }
    }
    if (delta.online !== undefined && delta.online !== device.online) {
      next.online = delta.online;
      next.since = delta.ts;
    }
    if (delta.reason !== undefined) next.reason = delta.reason;
    this.devices.set(device.id, next);
  }

  #spark(deviceId: string, field: string, value: unknown): void {
    if (typeof value !== 'number') return;
    const key = `${deviceId}/${field}`;
    const series = this.sparks.get(key) ?? [];
    series.push(value);
    if (series.length > SPARK_POINTS) series.shift();
    this.sparks.set(key, series);
  }

  #announce(alert: Alert, isNew: boolean): void {
    for (const listener of this.#alertListeners) listener(alert, isNew);
  }

  #changed(): void {
    this.version++;
    for (const listener of this.#listeners) listener();
  }
}
