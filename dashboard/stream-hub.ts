import type { ServerResponse } from 'node:http';
import type { Bus, DeviceUpdate } from '../gateway/bus.ts';
import type { Clock } from '../gateway/clock.ts';
import type { DeviceEvent } from '../gateway/types.ts';
import type { Alert } from '../rules/lifecycle.ts';
import type { AlertService } from '../rules/service.ts';

/** Device updates are merged per device and sent at most this often. */
export const BATCH_MS = 250;
/** A comment line keeps proxies from closing an idle stream. */
export const PING_MS = 15_000;
/** Events held for a client whose socket is full; beyond this the oldest are dropped. */
const MAX_HELD_EVENTS = 500;

export interface StreamHubOptions {
  bus: Bus;
  clock: Clock;
  alerts?: AlertService;
  batchMs?: number;
  pingMs?: number;
}

/** One open `/api/stream` response. */
export interface StreamClient {
  readonly username: string;
  /** Ends the response (the client reconnects by itself unless it went away). */
  close(): void;
}

interface Client extends StreamClient {
  readonly res: ServerResponse;
  /** Called on each ping: false ends the stream (the session ended). */
  readonly alive: () => boolean;
  /** The socket's buffer is full: hold messages until it drains. */
  draining: boolean;
  /** Device state this client has not been sent yet (batches skipped while draining). */
  devices: Map<string, DeviceUpdate> | undefined;
  /** Alert changes held while draining, latest per alert. */
  alerts: Map<string, Alert>;
  events: DeviceEvent[];
}

/** `{values}` merged, the latest `ts`, `online` and `reason` win. */
export function mergeUpdate(into: Map<string, DeviceUpdate>, u: DeviceUpdate): void {
  const prev = into.get(u.deviceId);
  if (!prev) {
    into.set(u.deviceId, { ...u, ...(u.values ? { values: { ...u.values } } : {}) });
    return;
  }
  if (u.values) prev.values = { ...prev.values, ...u.values };
  if (u.online !== undefined) prev.online = u.online;
  if (u.reason !== undefined) prev.reason = u.reason;
  prev.ts = Math.max(prev.ts, u.ts);
}

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Fans the bus and the alert engine out to the open `/api/stream` responses. It subscribes only
 * while a client is connected (one bus listener per message, however many clients), merges device
 * updates per device and writes them every `batchMs`, and never buffers without bound for a slow
 * client: while its socket is full, device batches are merged into what it will be sent next,
 * alert changes keep the latest per alert and events the newest few hundred.
 */
export class StreamHub {
  readonly #o: Required<Omit<StreamHubOptions, 'alerts'>> & { alerts?: AlertService };
  readonly #clients = new Set<Client>();
  #pending = new Map<string, DeviceUpdate>();
  #unsubscribe: Array<() => void> = [];
  #batchTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;

  constructor(options: StreamHubOptions) {
    this.#o = { batchMs: BATCH_MS, pingMs: PING_MS, ...options };
  }

  /** Open streams of a user. */
  countFor(username: string): number {
    let n = 0;
    for (const c of this.#clients) if (c.username === username) n++;
    return n;
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Takes over a response whose headers are not yet sent: writes the SSE headers, `retry` and the
   * `hello` message, and streams until the client goes away or `close()` is called.
   */
  open(res: ServerResponse, user: { username: string; role: string }, alive: () => boolean): StreamClient {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    res.socket?.setNoDelay(true);
    const client: Client = {
      username: user.username,
      res,
      alive,
      draining: false,
      devices: undefined,
      alerts: new Map(),
      events: [],
      close: () => this.#drop(client, true),
    };
    this.#clients.add(client);
    if (this.#clients.size === 1) this.#subscribe();
    res.on('close', () => this.#drop(client, false));
    res.on('drain', () => this.#drained(client));
    this.#write(
      client,
      `retry: 3000\n\n${frame('hello', { serverTime: this.#o.clock.now(), user: { username: user.username, role: user.role } })}`,
    );
    return client;
  }

  /** Ends the streams of a user (disabled, logged out everywhere). */
  closeUser(username: string): void {
    for (const c of [...this.#clients]) if (c.username === username) this.#drop(c, true);
  }

  /** Ends every stream and stops (app close). */
  closeAll(): void {
    for (const c of [...this.#clients]) this.#drop(c, true);
  }

  #subscribe(): void {
    const { bus, alerts } = this.#o;
    this.#unsubscribe = [
      bus.on('update', (u) => mergeUpdate(this.#pending, u)),
      bus.on('event', (e) => this.#event(e)),
    ];
    if (alerts) this.#unsubscribe.push(alerts.onChange((a) => this.#alert(a)));
    this.#batchTimer = setInterval(() => this.#flushDevices(), this.#o.batchMs);
    this.#pingTimer = setInterval(() => this.#ping(), this.#o.pingMs);
    this.#batchTimer.unref();
    this.#pingTimer.unref();
  }

  #unsubscribeAll(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    clearInterval(this.#batchTimer);
    clearInterval(this.#pingTimer);
    this.#batchTimer = this.#pingTimer = undefined;
    this.#pending = new Map();
  }

  #drop(client: Client, end: boolean): void {
    if (!this.#clients.delete(client)) return;
    if (end) client.res.end();
    if (this.#clients.size === 0) this.#unsubscribeAll();
  }

  /** Writes; false when the socket is full (the client is then skipped until 'drain'). */
  #write(client: Client, text: string): void {
    if (client.res.destroyed || client.res.writableEnded) return;
    if (!client.res.write(text)) client.draining = true;
  }

  #flushDevices(): void {
    const values = [...this.#pending.values()];
    if (values.length) this.#pending = new Map();
    let text: string | undefined;
    for (const c of this.#clients) {
      if (c.draining) {
        if (!values.length) continue;
        c.devices ??= new Map();
        for (const u of values) mergeUpdate(c.devices, u);
      } else if (c.devices) {
        for (const u of values) mergeUpdate(c.devices, u);
        this.#sendHeldDevices(c);
      } else if (values.length) this.#write(c, (text ??= frame('devices', values)));
    }
  }

  #sendHeldDevices(c: Client): void {
    const held = c.devices;
    if (!held) return;
    c.devices = undefined;
    this.#write(c, frame('devices', [...held.values()]));
  }

  #alert(alert: Alert): void {
    const text = frame('alert', alert);
    for (const c of this.#clients) {
      if (c.draining) c.alerts.set(alert.id, alert);
      else this.#write(c, text);
    }
  }

  #event(e: DeviceEvent): void {
    const data = { deviceId: e.deviceId, ts: e.ts, type: e.type, data: e.data };
    const text = frame('event', data);
    for (const c of this.#clients) {
      if (!c.draining) this.#write(c, text);
      else {
        c.events.push(data);
        if (c.events.length > MAX_HELD_EVENTS) c.events.shift();
      }
    }
  }

  #drained(c: Client): void {
    c.draining = false;
    const alerts = [...c.alerts.values()];
    const events = c.events.splice(0);
    c.alerts.clear();
    const text =
      alerts.map((a) => frame('alert', a)).join('') + events.map((e) => frame('event', e)).join('');
    if (text) this.#write(c, text);
    // Device state waits for the next batch tick: it merges whatever arrived meanwhile.
  }

  #ping(): void {
    for (const c of [...this.#clients]) {
      if (!c.alive()) this.#drop(c, true);
      else if (!c.draining) this.#write(c, ': ping\n\n');
    }
  }
}
