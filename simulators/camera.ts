import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../gateway/log.ts';
import { DigestGuard, NonceCache } from './camera-auth.ts';
import { createHttpPresence, send } from './camera-http.ts';
import { PullPointManager, type PullPointStats, type SimNotification } from './camera-events.ts';
import { renderSnapshot } from './camera-image.ts';
import * as r from './camera-responses.ts';
import { answerSoap, type SoapContext } from './camera-soap.ts';
import { createRandom, hashSeed } from './random.ts';

/** Faults a test (or the demo) switches on. */
export interface CameraBehaviours {
  /** Connections are refused: the camera is unplugged. */
  offline: boolean;
  /** Every answer waits this long first; a very large value is a hung camera. */
  slowMs: number;
  /** The camera's clock minus the true time (a camera that never saw NTP is hours off). */
  clockOffsetMs: number;
  /** Every SOAP answer is cut short and garbled: not well-formed XML. */
  malformedXml: boolean;
  /**
   * Switching it on ends every subscription now; while on, Renew is answered but not honoured, so
   * each new subscription lapses at its termination time (firmwares that time subscriptions out).
   */
  expireSubscriptions: boolean;
}

export type CameraEventType = keyof typeof r.TOPICS;

export interface CameraSimulatorOptions {
  /** 0 (default): any free port; read `port` after `start()`. */
  port?: number;
  host?: string;
  name: string;
  username: string;
  password: string;
  seed?: number;
  /** Path of the device service, as in the config's `xaddr`. Default `/onvif/device_service`. */
  devicePath?: string;
  model?: string;
  location?: string;
  /** How far a token's `Created` may be from the camera clock. Default 10 s. */
  maxClockSkewMs?: number;
  /** The longest a PullMessages is held open. Default 60 s (what ONVIF clients ask for). */
  maxPullHoldMs?: number;
  /** How long a reboot keeps the camera off the network. Default 1 s. */
  rebootMs?: number;
  behaviours?: Partial<CameraBehaviours>;
  /** Random motion (and rare tamper) alarms, for the demo; mean gaps in ms. */
  autoEvents?: { motionMeanMs?: number; tamperMeanMs?: number; activeMs?: number };
  log?: Logger;
}

export interface CameraSimulatorStats {
  /** Requests by SOAP operation (and `snapshot`). */
  requests: Record<string, number>;
  /** Requests refused for their credentials or token. */
  authFailures: number;
  reboots: number;
  subscriptions: PullPointStats & { active: number };
}

export interface CameraSimulator {
  readonly name: string;
  /** The bound port (after `start()`). */
  readonly port: number;
  /** `http://127.0.0.1:<port>/onvif/device_service` */
  readonly xaddr: string;
  /** WS-Discovery endpoint reference (`urn:uuid:…`), stable for a seed. */
  readonly urn: string;
  readonly scopes: readonly string[];
  readonly behaviours: Readonly<CameraBehaviours>;
  start(): Promise<void>;
  /** Closes every connection; idempotent. */
  stop(): Promise<void>;
  set(behaviours: Partial<CameraBehaviours>): Promise<void>;
  /** Raises (or clears) an alarm: every subscription gets a `Changed` notification. */
  raise(type: CameraEventType, active?: boolean): void;
  /** Drops every subscription and leaves the network for `downMs`; resolves when back. */
  reboot(downMs?: number): Promise<void>;
  cameraNow(): number;
  stats(): CameraSimulatorStats;
}

const DEFAULTS: CameraBehaviours = {
  offline: false,
  slowMs: 0,
  clockOffsetMs: 0,
  malformedXml: false,
  expireSubscriptions: false,
};

const MAX_REQUEST_BYTES = 1024 * 1024;

/**
 * A Profile S camera on one HTTP port: Device, Media and Events services over SOAP with
 * WS-Security, a Digest-protected JPEG snapshot, PullPoint events, and switchable faults. The same
 * object serves unit tests (port 0), the system tests, `cgw simulate` and `cgw demo`.
 */
export function createCameraSimulator(options: CameraSimulatorOptions): CameraSimulator {
  const host = options.host ?? '127.0.0.1';
  const devicePath = options.devicePath ?? '/onvif/device_service';
  const seed = options.seed ?? hashSeed(options.name);
  const random = createRandom(seed);
  const behaviours: CameraBehaviours = { ...DEFAULTS, ...options.behaviours };
  const identity: r.CameraIdentity = {
    name: options.name,
    manufacturer: 'CGW Simulated',
    model: options.model ?? 'SIM-CAM-2000',
    firmware: 'V5.7.3 build 240301',
    serial: `SC${random.hex(10).toUpperCase()}`,
    hardwareId: 'SC2000-R2',
    location: options.location ?? 'community',
  };
  const hex = random.hex(32);
  const urn = `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  const cameraNow = (): number => Date.now() + behaviours.clockOffsetMs;
  const subscriptions = new PullPointManager(cameraNow);
  const digest = new DigestGuard(`${identity.model} ${identity.serial}`);
  const alarms: Record<CameraEventType, boolean> = { motion: false, tamper: false, 'video.loss': false };
  const requests: Record<string, number> = {};
  let frame: { key: string; jpeg: Buffer } | undefined;
  let authFailures = 0;
  let reboots = 0;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const log = options.log;

  const http = createHttpPresence(host, options.port ?? 0, handle, (err) =>
    log?.error({ err, camera: options.name }, 'simulated camera failed a request'),
  );
  const listen = async (): Promise<void> => {
    if (!stopped) await http.listen();
  };
  const close = (): Promise<void> => http.close();
  const base = (): string => `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
  const message = (type: CameraEventType, operation: SimNotification['operation']): SimNotification => {
    const t = r.TOPICS[type];
    const source: Record<string, string> = { VideoSourceConfigurationToken: r.VIDEO_SOURCE_CONFIG };
    if (t.rule)
      Object.assign(source, { VideoAnalyticsConfigurationToken: 'VideoAnalyticsConfig_1', Rule: t.rule });
    return {
      topic: t.topic,
      utcTime: cameraNow(),
      operation,
      source,
      data: { [t.item]: String(alarms[type]) },
    };
  };

  const context: SoapContext = {
    identity,
    get endpoints() {
      return { base: base(), devicePath };
    },
    username: options.username,
    password: options.password,
    maxSkewMs: options.maxClockSkewMs ?? 10_000,
    maxPullHoldMs: options.maxPullHoldMs ?? 60_000,
    cameraNow,
    nonces: new NonceCache(),
    subscriptions,
    initialMessages: () =>
      (Object.keys(alarms) as CameraEventType[]).map((type) => message(type, 'Initialized')),
    honourRenew: () => !behaviours.expireSubscriptions,
    reboot: () => void sim.reboot(),
    count(operation, authorised) {
      requests[operation] = (requests[operation] ?? 0) + 1;
      if (!authorised) {
        authFailures++;
        log?.debug({ camera: options.name, operation }, 'simulated camera refused a token');
      }
    },
  };

  const wait = (ms: number, cancel: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      cancel.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const cancel = new AbortController();
    res.on('close', () => cancel.abort());
    if (behaviours.slowMs > 0) await wait(behaviours.slowMs, cancel.signal);
    if (cancel.signal.aborted) return;
    const url = new URL(req.url ?? '/', base());
    if (req.method === 'GET' && url.pathname === r.SNAPSHOT_PATH) return snapshot(req, res);
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'ONVIF: POST SOAP requests here');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) return send(res, 413, 'text/plain', 'request too large');
      chunks.push(chunk);
    }
    const answer = await answerSoap(
      url.pathname,
      Buffer.concat(chunks).toString('utf8'),
      context,
      cancel.signal,
    );
    if (cancel.signal.aborted) return;
    const xml = behaviours.malformedXml ? garble(answer.xml) : answer.xml;
    send(res, answer.status, 'application/soap+xml; charset=utf-8', xml);
    if (answer.after) res.once('finish', answer.after);
  }

  function snapshot(req: IncomingMessage, res: ServerResponse): void {
    requests.snapshot = (requests.snapshot ?? 0) + 1;
    const verdict = digest.check(req.headers.authorization, { method: 'GET', url: req.url ?? '' }, options);
    if (!verdict.ok) {
      if (req.headers.authorization?.startsWith('Digest')) authFailures++;
      res.setHeader('www-authenticate', digest.challenge());
      return send(res, 401, 'text/plain', 'Unauthorized');
    }
    // One frame per camera second: the time burnt in would not change within it anyway.
    const second = Math.floor(cameraNow() / 1000);
    const key = `${second}:${alarms.motion}:${alarms.tamper || alarms['video.loss']}`;
    if (frame?.key !== key)
      frame = {
        key,
        jpeg: renderSnapshot({
          name: options.name,
          timeMs: second * 1000,
          seed,
          motion: alarms.motion,
          tamper: alarms.tamper || alarms['video.loss'],
        }),
      };
    send(res, 200, 'image/jpeg', frame.jpeg);
  }

  function scheduleAlarm(type: CameraEventType, meanMs: number | undefined): void {
    if (!meanMs || stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      sim.raise(type, true);
      const clear = setTimeout(
        () => (timers.delete(clear), sim.raise(type, false)),
        options.autoEvents?.activeMs ?? 5000,
      );
      clear.unref();
      timers.add(clear);
      scheduleAlarm(type, meanMs);
    }, random.exponential(meanMs));
    timer.unref();
    timers.add(timer);
  }

  const sim: CameraSimulator = {
    name: options.name,
    get port() {
      return http.port;
    },
    get xaddr() {
      return `${base()}${devicePath}`;
    },
    urn,
    scopes: r.scopeUris(identity),
    behaviours,
    async start() {
      if (stopped) return;
      // The first JPEG of a process is slow (the encoder is not yet compiled): not in a request.
      frame ??= { key: '', jpeg: renderSnapshot({ name: options.name, timeMs: cameraNow(), seed }) };
      if (!behaviours.offline) await listen();
      if (timers.size === 0) {
        scheduleAlarm('motion', options.autoEvents?.motionMeanMs);
        scheduleAlarm('tamper', options.autoEvents?.tamperMeanMs);
      }
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      subscriptions.dropAll();
      await close();
    },
    async set(changes) {
      Object.assign(behaviours, changes);
      if (changes.expireSubscriptions === true) subscriptions.expireAll();
      if (changes.offline === true) await close();
      if (changes.offline === false) await listen();
    },
    raise(type, active = true) {
      alarms[type] = active;
      subscriptions.publish(message(type, 'Changed'));
    },
    async reboot(downMs = options.rebootMs ?? 1000) {
      reboots++;
      subscriptions.dropAll();
      for (const type of Object.keys(alarms) as CameraEventType[]) alarms[type] = false;
      await close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      if (!behaviours.offline) await listen();
    },
    cameraNow,
    stats: () => ({
      requests: { ...requests },
      authFailures,
      reboots,
      subscriptions: { ...subscriptions.stats, active: subscriptions.active },
    }),
  };
  return sim;
}

/** What a camera with broken firmware sends: the answer cut mid-element, with junk after. */
function garble(xml: string): string {
  return `${xml.slice(0, Math.floor(xml.length / 2))}<<&\u0000 unterminated`;
}
