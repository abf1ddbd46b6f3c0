import { performance } from 'node:perf_hooks';
import { backoffDelayMs } from '../../gateway/backoff.ts';
import type { Clock } from '../../gateway/clock.ts';
import { errorMessage, GatewayError, isGatewayError } from '../../gateway/errors.ts';
import type { Logger } from '../../gateway/log.ts';
import type { DeviceEvent, Reading, Scalar, Status } from '../../gateway/types.ts';
import { maskUrl, OnvifClient } from './client.ts';
import type { OnvifConfig } from './config.ts';
import { AlarmEdges } from './events.ts';
import { decodeDeviceInformation, REQUEST, type DeviceInformation } from './messages.ts';
import { initNodeOnvif } from './profiles.ts';
import { PullPointSubscriber, type PullPointStats } from './pullpoint.ts';

export type CameraState = 'connecting' | 'online' | 'offline' | 'unauthorised';

export interface CameraSink {
  reading(reading: Reading): void;
  event(event: DeviceEvent): void;
  status(status: Status): void;
}

export interface CameraSessionOptions {
  deviceId: string;
  config: OnvifConfig;
  log: Logger;
  clock: Clock;
  sink: CameraSink;
}

/** What the camera told us when we connected. */
export interface CameraFacts {
  info: DeviceInformation;
  profileTokens: string[];
  profileToken: string | undefined;
  snapshotUri: string | undefined;
  eventsXaddr: string | undefined;
}

/** A clock this far off is worth a warning each time it is learnt anew: the camera's own stamps are wrong. */
const CLOCK_WARN_MS = 60_000;
/** Cameras lock an account after a few bad logins: an unauthorised camera is asked less and less often. */
const MAX_UNAUTHORISED_RETRY_MS = 5 * 60_000;

/**
 * One camera: connects (clock, device information, profiles through node-onvif), checks health on
 * an interval, serves snapshots, and runs the PullPoint subscription for its events. State
 * changes become Status values; the pipeline logs them, this class logs only what it learns.
 */
export class CameraSession {
  state: CameraState = 'connecting';
  reason = 'not contacted yet';
  facts: CameraFacts | undefined;
  readonly client: OnvifClient;
  readonly #o: CameraSessionOptions;
  readonly #abort = new AbortController();
  readonly #edges = new AlarmEdges();
  #needsInit = true;
  #failures = 0;
  #unauthorisedChecks = 0;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #events:
    | { subscriber: PullPointSubscriber; xaddr: string; abort: AbortController; run: Promise<void> }
    | undefined;
  #snapshot: Promise<{ jpeg: Buffer; ms: number }> | undefined;

  constructor(options: CameraSessionOptions) {
    this.#o = options;
    const { xaddr, username, password, timeoutMs } = options.config;
    const onClock = (offset: number, previous: number): void => {
      if (Math.abs(offset) > CLOCK_WARN_MS && Math.abs(offset - previous) > CLOCK_WARN_MS)
        options.log.warn(
          { offsetS: Math.round(offset / 1000) },
          `${options.deviceId}: camera clock is ${Math.round(offset / 1000)} s off; compensating`,
        );
    };
    this.client = new OnvifClient({ xaddr, username, password, timeoutMs, onClock });
  }

  get deviceId(): string {
    return this.#o.deviceId;
  }

  /** PullPoint counters (undefined while no subscription has been started). */
  get eventStats(): PullPointStats | undefined {
    return this.#events?.subscriber.stats;
  }

  start(): void {
    if (this.#abort.signal.aborted || this.#timer || this.#tick) return;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#abort.abort(new GatewayError('CGW_ONVIF_UNAVAILABLE', 'adapter stopping'));
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    this.#events?.abort.abort();
    await this.#events?.run;
  }

  /** A JPEG now. Concurrent requests share one fetch: an operator's double click is one camera request. */
  async snapshot(): Promise<Buffer> {
    if (this.state === 'unauthorised')
      throw new GatewayError('CGW_ONVIF_UNAUTHORIZED', `${this.deviceId}: ${this.reason}`);
    if (this.state !== 'online' || !this.facts)
      throw new GatewayError('CGW_ONVIF_UNAVAILABLE', `${this.deviceId} is ${this.state}: ${this.reason}`);
    if (!this.facts.snapshotUri)
      throw new GatewayError('CGW_ONVIF_UNAVAILABLE', `${this.deviceId} offers no snapshot URI`);
    const own = !this.#snapshot;
    this.#snapshot ??= this.#fetchSnapshot(this.facts.snapshotUri, this.#abort.signal).finally(
      () => (this.#snapshot = undefined),
    );
    const { jpeg, ms } = await this.#snapshot;
    if (own) this.#emitReading({ online: true, snapshot_ms: ms });
    return jpeg;
  }

  #schedule(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.#check().finally(() => {
        this.#tick = undefined;
        this.#schedule(this.#nextDelay());
      });
    }, delayMs);
    this.#timer.unref();
  }

  #nextDelay(): number {
    const { healthMs } = this.#o.config;
    if (this.state !== 'unauthorised') return healthMs;
    return backoffDelayMs(this.#unauthorisedChecks, {
      minMs: healthMs,
      maxMs: Math.max(healthMs, MAX_UNAUTHORISED_RETRY_MS),
    });
  }

  async #check(): Promise<void> {
    const signal = this.#abort.signal;
    try {
      if (this.#needsInit) await this.#connect(signal);
      else await this.client.call(this.client.xaddr, REQUEST.getDeviceInformation, { signal });
      const uri = this.facts?.snapshotUri;
      const snapshotMs =
        this.#o.config.healthSnapshot && uri ? (await this.#fetchSnapshot(uri, signal)).ms : undefined;
      this.#succeeded(snapshotMs);
    } catch (err) {
      if (!signal.aborted) this.#failed(err);
    }
  }

  async #connect(signal: AbortSignal): Promise<void> {
    const { config, log } = this.#o;
    await this.client.syncClock(signal);
    const info = decodeDeviceInformation(
      await this.client.call(this.client.xaddr, REQUEST.getDeviceInformation, { signal }),
    );
    if (!info) throw new GatewayError('CGW_ONVIF_MALFORMED', 'GetDeviceInformation answer not understood');
    // node-onvif reads the profiles and their stream and snapshot URIs (and the service addresses).
    const device = await initNodeOnvif(this.client.xaddr, config, signal);
    const profiles = device.getProfileList();
    const chosen = config.profile ? profiles.find((p) => p.token === config.profile) : profiles[0];
    if (config.profile && !chosen)
      log.warn(`${this.deviceId}: no media profile "${config.profile}"; using the first`);
    const profile = chosen ?? profiles[0];
    this.facts = {
      info,
      profileTokens: profiles.map((p) => p.token),
      profileToken: profile?.token,
      snapshotUri: profile?.snapshot || undefined,
      eventsXaddr: device.services.events?.xaddr || undefined,
    };
    this.#needsInit = false;
    log.info(
      {
        xaddr: maskUrl(this.client.xaddr),
        model: `${info.manufacturer} ${info.model}`.trim(),
        firmware: info.firmwareVersion,
        profiles: profiles.length,
        events: Boolean(this.facts.eventsXaddr),
      },
      `${this.deviceId}: connected to ${info.manufacturer} ${info.model}`.trim(),
    );
    this.#startEvents(this.facts.eventsXaddr);
  }

  #startEvents(xaddr: string | undefined): void {
    const { config, log } = this.#o;
    if (!config.events || this.#abort.signal.aborted) return;
    if (!xaddr) {
      log.info(`${this.deviceId}: camera has no Events service; no events`);
      return;
    }
    if (this.#events?.xaddr === xaddr) return;
    this.#events?.abort.abort();
    const abort = new AbortController();
    let lost = false;
    let lastLoss = '';
    let quiet = false;
    const subscriber = new PullPointSubscriber({
      client: this.client,
      eventsXaddr: xaddr,
      pullTimeoutMs: config.pullTimeoutMs,
      subscriptionTtlMs: config.subscriptionTtlMs,
      timeoutMs: config.timeoutMs,
      backoff: { minMs: 200, maxMs: Math.max(1000, Math.min(config.healthMs, 30_000)) },
      onMessages: (messages) => {
        const now = this.#o.clock.now();
        for (const m of messages) {
          const event = this.#edges.accept(this.deviceId, m, now, (t) => this.client.toLocal(t));
          if (event) this.#o.sink.event(event);
        }
      },
      onState: (state, detail) => {
        // Once per loss and once per recovery, not once per failed attempt in between; a camera
        // that loses every subscription the same way (never extends them) is said once.
        if (state === 'lost' && !lost) {
          quiet = detail === lastLoss;
          lastLoss = detail;
          log[quiet ? 'debug' : 'info']({ detail }, `${this.deviceId}: event subscription lost`);
        }
        if (state === 'subscribed' && lost)
          log[quiet ? 'debug' : 'info'](`${this.deviceId}: event subscription re-created`);
        lost = state === 'lost';
      },
    });
    this.#events = {
      subscriber,
      xaddr,
      abort,
      run: subscriber.run(AbortSignal.any([abort.signal, this.#abort.signal])),
    };
  }

  async #fetchSnapshot(uri: string, signal?: AbortSignal): Promise<{ jpeg: Buffer; ms: number }> {
    // Our own Digest client, not node-onvif's fetchSnapshot: its HTTP-auth helper is one shared
    // object, so two cameras fetched at once could answer one camera's challenge for the other.
    const started = performance.now();
    const jpeg = await this.client.snapshot(uri, signal);
    return { jpeg, ms: Math.round(performance.now() - started) };
  }

  #succeeded(snapshotMs: number | undefined): void {
    this.#failures = 0;
    this.#unauthorisedChecks = 0;
    if (this.state !== 'online') {
      const model = this.facts ? `${this.facts.info.manufacturer} ${this.facts.info.model}`.trim() : 'camera';
      this.#transition('online', `connected: ${model}`);
    }
    this.#emitReading(
      snapshotMs === undefined ? { online: true } : { online: true, snapshot_ms: snapshotMs },
    );
  }

  #failed(err: unknown): void {
    const reason = reasonOf(err);
    this.#o.log.debug({ reason }, `${this.deviceId}: check failed`);
    if (isGatewayError(err, 'CGW_ONVIF_UNAUTHORIZED')) {
      this.#unauthorisedChecks++;
      this.#needsInit = true;
      if (this.state !== 'unauthorised') this.#transition('unauthorised', `up but unauthorised: ${reason}`);
      return;
    }
    this.#failures++;
    if (this.#failures >= this.#o.config.failuresBeforeOffline && this.state !== 'offline') {
      this.#needsInit = true;
      this.#transition('offline', reason);
    } else if (this.state === 'offline') this.reason = reason;
  }

  #transition(state: CameraState, reason: string): void {
    const wasOnline = this.state === 'online';
    this.state = state;
    this.reason = reason;
    const now = this.#o.clock.now();
    const online = state === 'online';
    // The `online` field is charted; written once on the way down (a reading from an offline
    // device would count as hearing from it).
    if (!online && wasOnline) this.#emitReading({ online: false });
    this.#o.sink.status({ deviceId: this.deviceId, ts: now, online, reason });
  }

  #emitReading(values: Record<string, Scalar>): void {
    this.#o.sink.reading({ deviceId: this.deviceId, ts: this.#o.clock.now(), values });
  }
}

/** A status reason a person understands: `timeout: …`, `unreachable: ECONNREFUSED`, … */
function reasonOf(err: unknown): string {
  if (!isGatewayError(err)) return errorMessage(err);
  switch (err.code) {
    case 'CGW_ONVIF_TIMEOUT':
      return `timeout: ${err.message}`;
    case 'CGW_ONVIF_MALFORMED':
      return err.message.startsWith('malformed') ? err.message : `malformed answer: ${err.message}`;
    default:
      return err.message;
  }
}
