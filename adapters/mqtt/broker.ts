import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { VerifiedCache } from '../../gateway/auth/password.ts';
import { GatewayError } from '../../gateway/errors.ts';
import type { Logger } from '../../gateway/log.ts';
import type { MqttDeviceConfig } from '../../gateway/config/devices.ts';
import { traceReceived } from '../../gateway/trace.ts';
import { canPublish, canSubscribe, userIdentity, type Identity } from './acl.ts';
import type { MqttConfig } from './config.ts';
import { deviceTopicRoot } from './topics.ts';

/** What the broker asks of whoever consumes its traffic (the MQTT adapter). */
export interface BrokerHooks {
  /**
   * An authorised publish, before it is acknowledged or forwarded. Returns false when the payload
   * was rejected: the message is then kept from subscribers (but still acknowledged, so a device
   * does not resend it forever).
   */
  onPublish(identity: Identity | undefined, packet: PublishPacket, isWill: boolean): boolean;
  /** A publish or subscribe the ACL refused; the client is disconnected. */
  onRefused(
    identity: Identity | undefined,
    topic: string,
    reason: 'wrong_sender' | 'unauthorized',
    detail: string,
    size: number,
  ): void;
}

/** Topic prefix under which rejected payloads are parked instead of forwarded. */
export const QUARANTINE_PREFIX = '$cgw/rejected/';

/**
 * The embedded MQTT broker (aedes): per-device and per-user authentication, the topic ACL, a cap
 * on packet size, optional TLS. Traffic is handed to the hooks inside `authorizePublish`, so a
 * message is taken in before it is acknowledged.
 */
export class EmbeddedBroker {
  readonly #config: MqttConfig;
  readonly #log: Logger;
  readonly #hooks: BrokerHooks;
  readonly #credentials = new Map<string, { password: string; identity: Identity }>();
  readonly #identities = new WeakMap<Client, Identity>();
  readonly #verified = new VerifiedCache();
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  #tls: TlsServer | undefined;
  #stopping: Promise<void> | undefined;
  /** Between `holdInput` and `releaseInput`. */
  #holding = false;
  /** Reads held meanwhile: each connection's `_nextBatch`, and how often it was called. */
  readonly #held = new Map<(err?: Error) => void, number>();
  /** Publishes authorised while input was held: acknowledged and forwarded on release. */
  readonly #heldAuthorised: Array<(error?: Error | null) => void> = [];

  constructor(options: {
    config: MqttConfig;
    devices: readonly MqttDeviceConfig[];
    log: Logger;
    hooks: BrokerHooks;
  }) {
    this.#config = options.config;
    this.#log = options.log;
    this.#hooks = options.hooks;
    for (const d of options.devices) {
      const root = deviceTopicRoot(this.#config.prefix, d.site, d.kind, d.id);
      this.#credentials.set(d.id, {
        password: d.password,
        identity: { type: 'device', deviceId: d.id, site: d.site, kind: d.kind, root },
      });
    }
    for (const u of this.#config.users)
      this.#credentials.set(u.username, { password: u.password, identity: userIdentity(u) });
  }

  /** The bound plain-TCP port (useful when configured as 0). */
  get port(): number {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address.port : this.#config.port;
  }

  get tlsPort(): number | undefined {
    const address = this.#tls?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  get connectedClients(): number {
    return this.#aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    if (this.#aedes) return;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) =>
        this.#authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.#authorizePublish(client, packet, done),
      authorizeSubscribe: (client, sub, done) => this.#authorizeSubscribe(client, sub, done),
    });
    this.#aedes = aedes;
    aedes.on('clientError', (client, err) =>
      this.#log.debug({ client: client.id, err: err.message }, 'client error'),
    );
    aedes.on('connectionError', (client, err) =>
      this.#log.debug({ client: client.id, err: err.message }, 'connection error'),
    );
    const handle = (socket: import('node:net').Socket): void => {
      socket.on('error', () => {}); // a reset socket is the client's problem, never the gateway's
      // Alerts and acks must not wait for Nagle's 40 ms coalescing (measured in bench/alerts).
      socket.setNoDelay(true);
      const client = aedes.handle(socket);
      this.#capPacketSize(client, socket);
      this.#gateReads(client, socket);
    };
    this.#server = createServer(handle);
    await listen(this.#server, this.#config.port, this.#config.host);
    if (this.#config.tls) {
      const { cert, key, port } = this.#config.tls;
      let tlsOptions: { cert: Buffer; key: Buffer };
      try {
        tlsOptions = { cert: readFileSync(cert), key: readFileSync(key) };
      } catch (cause) {
        await this.stop();
        throw new GatewayError(
          'CGW_CONFIG_INVALID',
          `mqtt.tls: cannot read certificate or key (${(cause as Error).message})`,
          { cause },
        );
      }
      this.#tls = createTlsServer(tlsOptions, handle);
      this.#tls.on('tlsClientError', () => {});
      await listen(this.#tls, port, this.#config.host);
    }
    this.#log.info({ port: this.port, tlsPort: this.tlsPort }, 'MQTT broker listening');
  }

  /**
   * Stops every connection's next read until `releaseInput()` (the gateway's alarms-first lane,
   * while an alert is on its way out). Packets already read are still handed to the gateway, but
   * acknowledged and forwarded only on release. Nothing is dropped: the data waits in the socket
   * and TCP holds back the rest. (A loopback socket write costs 100-150 µs here, most of it the
   * kernel waking the reader: the alert's goes first.)
   */
  holdInput(): void {
    this.#holding = true;
  }

  /** Restarts the reads held since `holdInput()`, each connection in the order it asked. */
  releaseInput(): void {
    this.#holding = false;
    const authorised = this.#heldAuthorised.splice(0);
    for (const done of authorised) done(null);
    for (const [next, calls] of this.#held) {
      this.#held.delete(next);
      for (let i = 0; i < calls; i++) next();
    }
  }

  /** Publishes from the gateway itself (alerts); bypasses the ACL. */
  publish(
    topic: string,
    payload: string | Buffer,
    options: { retain?: boolean; qos?: 0 | 1 } = {},
  ): Promise<void> {
    const aedes = this.#aedes;
    if (!aedes) return Promise.resolve();
    const packet = {
      cmd: 'publish' as const,
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
    };
    return new Promise((resolve, reject) => aedes.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  /** Closes aedes first, then the listeners (the other order hangs on open connections). */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const aedes = this.#aedes;
      if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all([closeServer(this.#server), closeServer(this.#tls)]);
    })();
    return this.#stopping;
  }

  #authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const refuse = (returnCode: 4 | 5, why: string): void => {
      this.#log.info({ client: client.id, username }, `MQTT connection refused: ${why}`);
      done(Object.assign(new Error(why), { returnCode }) as AuthenticateError, false);
    };
    if (username === undefined || username === '') {
      if (!this.#config.allowAnonymous) return refuse(5, 'anonymous clients are not allowed');
      this.#identities.set(client, { type: 'anonymous' });
      return done(null, true);
    }
    const entry = this.#credentials.get(username);
    if (!entry || !password) return refuse(4, 'bad username or password');
    this.#verified.verify(username, password.toString('utf8'), entry.password).then(
      (ok) => {
        if (!ok) return refuse(4, 'bad username or password');
        this.#identities.set(client, entry.identity);
        done(null, true);
      },
      () => refuse(4, 'bad username or password'),
    );
  }

  #authorizePublish(
    client: Client | null,
    packet: PublishPacket,
    done: (error?: Error | null) => void,
  ): void {
    if (traceReceived.hasSubscribers) traceReceived.publish({ topic: packet.topic });
    const identity = client ? this.#identities.get(client) : undefined;
    const isWill = client !== null && (client as Client & { will?: unknown }).will === packet;
    if (identity) {
      const verdict = canPublish(identity, packet.topic, this.#config.prefix);
      if (!verdict.allow) {
        this.#hooks.onRefused(identity, packet.topic, verdict.reason, verdict.detail, packet.payload.length);
        return done(new Error(verdict.detail));
      }
    }
    // A will left by a client of an earlier run (client null) is still a device's last word.
    const accepted = this.#hooks.onPublish(identity, packet, isWill);
    if (!accepted) {
      packet.topic = QUARANTINE_PREFIX + packet.topic;
      packet.retain = false;
    }
    // An alert is on its way (often this very packet's): the packet's acknowledgement and
    // forwarding, each a socket write, wait until the alert's is done.
    if (this.#holding) this.#heldAuthorised.push(done);
    else done(null);
  }

  #authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const identity = this.#identities.get(client);
    if (identity && canSubscribe(identity, sub.topic, this.#config.prefix)) return done(null, sub);
    this.#log.debug({ client: client.id, topic: sub.topic }, 'subscription refused');
    done(null, null); // SUBACK 128 for this filter; the connection stays
  }

  /**
   * aedes reads a connection's next batch in `_nextBatch`: on `readable`, and each time a packet of
   * the batch is handled. While input is held the call is counted instead (it decrements aedes's
   * count of packets in hand, so every call is made later, none merged). Left alone if aedes ever
   * reads differently.
   */
  #gateReads(client: Client, socket: import('node:net').Socket): void {
    const c = client as unknown as { _nextBatch?: (err?: Error) => void };
    const next = c._nextBatch;
    if (typeof next !== 'function' || !socket.listeners('readable').includes(next)) return;
    const gated = (err?: Error): void => {
      if (!this.#holding || err) return next(err);
      this.#held.set(next, (this.#held.get(next) ?? 0) + 1);
    };
    c._nextBatch = gated;
    socket.removeListener('readable', next);
    socket.on('readable', gated);
  }

  /**
   * aedes has no packet size limit: a client could make it buffer up to 256 MB. Watch the parser's
   * length decoding and drop a connection announcing a packet far beyond the payload limit.
   * Payloads just over the limit still arrive and are dead-lettered as `oversize`.
   */
  #capPacketSize(client: Client, socket: import('node:net').Socket): void {
    const parser = (
      client as unknown as { _parser?: { _parseLength?: () => boolean; packet?: { length?: number } } }
    )._parser;
    const original = parser?._parseLength;
    if (!parser || typeof original !== 'function') return;
    const limit = this.#config.maxPayloadBytes + 65_536 + 16; // payload + longest topic + header
    parser._parseLength = function patched(this: typeof parser) {
      const ok = original.call(this);
      if (ok && (this.packet?.length ?? 0) > limit) {
        socket.destroy();
        return false;
      }
      return ok;
    };
  }
}

function listen(server: Server | TlsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new GatewayError(
          'CGW_BROKER_LISTEN',
          `MQTT broker cannot listen on ${host}:${port}: ${err.message}`,
          { cause: err },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server | TlsServer | undefined): Promise<void> {
  if (!server || !server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
