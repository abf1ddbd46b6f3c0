import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../gateway/log.ts';
import type { DeviceKind, Scalar } from '../gateway/types.ts';

/** The topics of one device, as the device itself writes them (DESIGN.md "MQTT contract"). */
export interface DeviceTopics {
  telemetry: string;
  event: string;
  status: string;
  /** Filter for the commands the device may subscribe to. */
  commands: string;
}

export function deviceTopics(prefix: string, site: string, kind: DeviceKind, deviceId: string): DeviceTopics {
  // Written out here rather than imported from the adapter: a simulator that shared the gateway's
  // topic code would agree with the gateway's bugs instead of catching them.
  const root = `${prefix}/${site}/${kind}/${deviceId}`;
  return {
    telemetry: `${root}/telemetry`,
    event: `${root}/event`,
    status: `${root}/status`,
    commands: `${root}/cmd/#`,
  };
}

export interface MqttDeviceClientOptions {
  /** `mqtt://127.0.0.1:1883` */
  brokerUrl: string;
  /** Also the MQTT client id and username. */
  deviceId: string;
  password: string;
  site: string;
  kind: DeviceKind;
  /** Topic root. Default `cg`. */
  prefix?: string;
  log: Logger;
  /** Pause between reconnect attempts. Default 1 s. */
  reconnectPeriodMs?: number;
  /** Give up on one connection attempt after this long. Default 5 s. */
  connectTimeoutMs?: number;
  /** Longest `stop()` waits for the broker before cutting the connection. Default 2 s. */
  stopTimeoutMs?: number;
  /** Subscribe to `…/cmd/#` and hand each command over. */
  onCommand?: (topic: string, payload: Buffer) => void;
}

const ONLINE = Buffer.from(JSON.stringify({ online: true }));
const OFFLINE = Buffer.from(JSON.stringify({ online: false }));

/**
 * A device's MQTT connection: username/password, a retained `{"online": true}` on every connect,
 * a retained `{"online": false}` last will, automatic reconnects. It never throws because a
 * broker is down: it logs the change of state once and keeps trying. While disconnected,
 * publishes are dropped (a real controller has no queue either) and reported as not sent.
 */
export class MqttDeviceClient {
  readonly topics: DeviceTopics;
  readonly #options: MqttDeviceClientOptions;
  readonly #log: Logger;
  #client: MqttClient | undefined;
  #stopping: Promise<void> | undefined;
  /** The broker goes away on purpose (expectBrokerGone): losing it is no news. */
  #quiet = false;
  #downSince: number | undefined;
  #lastError = '';
  readonly #connectListeners = new Set<() => void>();

  constructor(options: MqttDeviceClientOptions) {
    this.#options = options;
    this.#log = options.log.child({ device: options.deviceId });
    this.topics = deviceTopics(options.prefix ?? 'cg', options.site, options.kind, options.deviceId);
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** Starts connecting in the background; a no-op when already started or stopped. */
  start(): void {
    if (this.#client || this.#stopping) return;
    const o = this.#options;
    const options: IClientOptions = {
      clientId: o.deviceId,
      username: o.deviceId,
      password: o.password,
      // MQTT 3.1.1: the embedded broker (aedes) refuses v5 clients.
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      reconnectPeriod: o.reconnectPeriodMs ?? 1_000,
      connectTimeout: o.connectTimeoutMs ?? 5_000,
      // A refused login is retried too: the gateway's config may be fixed while we run.
      reconnectOnConnackError: true,
      queueQoSZero: false,
      will: { topic: this.topics.status, payload: OFFLINE, qos: 1, retain: true },
    };
    const client = connect(o.brokerUrl, options);
    this.#client = client;
    client.on('connect', () => this.#onConnect(client));
    client.on('close', () => {
      if (this.#client !== client || this.#downSince !== undefined) return;
      this.#downSince = Date.now();
      if (!this.#stopping && !this.#quiet) this.#log.warn('disconnected from the broker; reconnecting');
    });
    client.on('error', (err) => {
      // Once per distinct error, not once per reconnect attempt.
      if (err.message === this.#lastError || this.#stopping || this.#quiet) return;
      this.#lastError = err.message;
      this.#log.warn({ err: err.message }, 'MQTT connection problem');
    });
    client.on('message', (topic, payload) => o.onCommand?.(topic, payload));
  }

  #onConnect(client: MqttClient): void {
    if (this.#client !== client) return;
    if (this.#downSince !== undefined) {
      this.#log.info({ downMs: Date.now() - this.#downSince }, 'connected again');
    } else this.#log.debug('connected');
    this.#downSince = undefined;
    this.#lastError = '';
    client.publish(this.topics.status, ONLINE, { qos: 1, retain: true }, () => undefined);
    if (this.#options.onCommand) client.subscribe(this.topics.commands, { qos: 1 }, () => undefined);
    for (const listener of this.#connectListeners) listener();
  }

  /** Called on every (re)connect; returns the unsubscribe. */
  onConnect(listener: () => void): () => void {
    this.#connectListeners.add(listener);
    return () => this.#connectListeners.delete(listener);
  }

  /** Resolves true once connected, false after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#connectListeners.delete(onConnect);
        resolve(ok);
      };
      const onConnect = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#connectListeners.add(onConnect);
    });
  }

  publishTelemetry(payload: { ts: number; values: Record<string, Scalar> }): boolean {
    return this.#publish(this.topics.telemetry, Buffer.from(JSON.stringify(payload)), 0);
  }

  /** Events go at QoS 1: a forced door matters more than one missed temperature. */
  publishEvent(payload: { ts: number; type: string } & Record<string, Scalar>): boolean {
    return this.#publish(this.topics.event, Buffer.from(JSON.stringify(payload)), 1);
  }

  /** Sends bytes as they are (the garbage fault); any topic, to test the gateway's ACL too. */
  publishRaw(topic: string, bytes: Buffer | string): boolean {
    return this.#publish(topic, typeof bytes === 'string' ? Buffer.from(bytes) : bytes, 0);
  }

  #publish(topic: string, payload: Buffer, qos: 0 | 1): boolean {
    const client = this.#client;
    if (!client?.connected || this.#stopping) return false;
    client.publish(topic, payload, { qos }, () => undefined);
    return true;
  }

  /**
   * Cuts the connection without DISCONNECT, as a power cut would: the broker then publishes the
   * last will. Stays down until `resume()`.
   */
  dropUnclean(): void {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    this.#downSince = Date.now();
    this.#log.info('dropping the connection uncleanly (offline fault)');
    client.end(true);
  }

  /** Reconnects after `dropUnclean()`. */
  resume(): void {
    if (!this.#client && !this.#stopping) this.start();
  }

  /**
   * Clean stop: a retained `{"online": false}`, then DISCONNECT (so no last will). Bounded by
   * `stopTimeoutMs` when the broker does not answer. Idempotent.
   */
  /** The broker is about to stop on purpose (the demo shutting down): no warnings when it goes. */
  expectBrokerGone(): void {
    this.#quiet = true;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    const limitMs = this.#options.stopTimeoutMs ?? 2_000;
    if (client.connected) {
      const sent = new Promise<void>((resolve) =>
        client.publish(this.topics.status, OFFLINE, { qos: 1, retain: true }, () => resolve()),
      );
      await withTimeout(sent, limitMs);
    }
    const ended = new Promise<void>((resolve) => client.end(!client.connected, {}, () => resolve()));
    // A broker that never acknowledges: cut the socket (end() ignores a second call).
    if (!(await withTimeout(ended, limitMs))) client.stream?.destroy();
  }
}

/** True when `promise` settled in time; the timer never outlives the wait. */
async function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
