import type { PublishPacket } from 'aedes';
import type { Clock } from '../../gateway/clock.ts';
import type { MqttDeviceConfig } from '../../gateway/config/devices.ts';
import type { DeadLetter, RejectReason } from '../../gateway/bus.ts';
import type { Logger } from '../../gateway/log.ts';
import { AdapterEmitter, type Adapter } from '../types.ts';
import type { Identity } from './acl.ts';
import { EmbeddedBroker } from './broker.ts';
import type { MqttConfig } from './config.ts';
import { decodePayload } from './decode.ts';
import { isDataChannel, parseDeviceTopic, type DeviceTopic } from './topics.ts';

const SAMPLE_BYTES = 200;
/** Parsed device topics remembered (a few per device); beyond this the memory starts over. */
const TOPIC_CACHE_LIMIT = 65_536;

export interface MqttAdapterOptions {
  config: MqttConfig;
  /** Every device of the config: any kind may report over MQTT. */
  devices: readonly {
    id: string;
    kind: MqttDeviceConfig['kind'];
    site: string;
    protocol: string;
    password?: string;
  }[];
  log: Logger;
  clock: Clock;
}

/**
 * MQTT ingest through the embedded broker: authenticates devices and users, enforces the topic
 * ACL, decodes telemetry / event / status payloads and emits them as core values. Bad input is
 * emitted as `rejected` with its reason, never thrown.
 */
export class MqttAdapter extends AdapterEmitter implements Adapter {
  readonly protocol = 'mqtt';
  readonly broker: EmbeddedBroker;
  readonly #config: MqttConfig;
  readonly #devices: Map<string, { kind: MqttDeviceConfig['kind']; site: string }>;
  readonly #topics = new Map<string, DeviceTopic>();
  readonly #clock: Clock;
  #started: Promise<void> | undefined;
  /** stop() has begun: wills the broker sets off by closing connections are dropped. */
  #stopping = false;

  constructor(options: MqttAdapterOptions) {
    super();
    this.#config = options.config;
    this.#clock = options.clock;
    this.#devices = new Map(options.devices.map((d) => [d.id, { kind: d.kind, site: d.site }]));
    const mqttDevices = options.devices.filter(
      (d): d is MqttDeviceConfig => d.protocol === 'mqtt' && typeof d.password === 'string',
    );
    this.broker = new EmbeddedBroker({
      config: options.config,
      devices: mqttDevices,
      log: options.log.child({ module: 'broker' }),
      hooks: {
        onPublish: (identity, packet, isWill) => this.#ingest(identity, packet, isWill),
        onRefused: (identity, topic, reason, detail, size) =>
          this.#reject(
            reason,
            topic,
            detail,
            Buffer.alloc(0),
            identity?.type === 'device' ? identity.deviceId : undefined,
            size,
          ),
      },
    });
  }

  start(): Promise<void> {
    this.#started ??= this.broker.start();
    return this.#started;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#started?.catch(() => {});
    await this.broker.stop();
  }

  #ingest(identity: Identity | undefined, packet: PublishPacket, isWill: boolean): boolean {
    // The broker closing every connection as the gateway stops sets off their wills: not news.
    if (isWill && this.#stopping) return true;
    const { topic } = packet;
    const payload = packet.payload as Buffer;
    const sender = identity?.type === 'device' ? identity.deviceId : undefined;
    if (payload.length > this.#config.maxPayloadBytes) {
      return this.#reject(
        'oversize',
        topic,
        `${payload.length} bytes, limit ${this.#config.maxPayloadBytes}`,
        payload,
        sender,
      );
    }
    const cached = this.#topics.get(topic);
    const parsed = cached ?? parseDeviceTopic(this.#config.prefix, topic);
    if (!parsed) {
      if (isCommandTopic(this.#config.prefix, topic)) return true; // commands pass through to the device
      return this.#reject(
        'bad_topic',
        topic,
        `not a ${this.#config.prefix}/{site}/{kind}/{device}/{telemetry|event|status} topic`,
        payload,
        sender,
      );
    }
    const device = this.#devices.get(parsed.deviceId);
    if (device && !cached) {
      // Only topics of configured devices are remembered, so junk topics cannot grow it.
      if (this.#topics.size >= TOPIC_CACHE_LIMIT) this.#topics.clear();
      this.#topics.set(topic, parsed);
    }
    if (!device)
      return this.#reject(
        'unknown_device',
        topic,
        `device "${parsed.deviceId}" is not in the config`,
        payload,
        parsed.deviceId,
      );
    if (device.site !== parsed.site || device.kind !== parsed.kind) {
      const detail = `device ${parsed.deviceId} is ${device.kind} at site ${device.site}, topic says ${parsed.kind} at ${parsed.site}`;
      return this.#reject('bad_topic', topic, detail, payload, parsed.deviceId);
    }
    if (!isDataChannel(parsed.channel)) {
      return this.#reject(
        'bad_topic',
        topic,
        `"${parsed.channel}" is not telemetry, event or status`,
        payload,
        parsed.deviceId,
      );
    }
    if (payload.length === 0 && packet.retain) return true; // clearing a retained message is not data
    const now = this.#clock.now();
    const decoded = decodePayload(
      { deviceId: parsed.deviceId, kind: device.kind, channel: parsed.channel },
      payload,
      now,
    );
    if (!decoded.ok) return this.#reject(decoded.reason, topic, decoded.detail, payload, parsed.deviceId);
    if (decoded.channel === 'telemetry') this.emit('reading', decoded.reading);
    else if (decoded.channel === 'event') this.emit('event', decoded.event);
    else
      this.emit(
        'status',
        isWill ? { ...decoded.status, reason: 'last will (connection lost)' } : decoded.status,
      );
    return true;
  }

  #reject(
    reason: RejectReason,
    topic: string,
    detail: string,
    payload: Buffer,
    deviceId?: string,
    size?: number,
  ): false {
    const letter: DeadLetter = {
      ts: this.#clock.now(),
      reason,
      source: 'mqtt',
      topic,
      detail,
      sample: sample(payload, size),
      ...(deviceId ? { deviceId } : {}),
    };
    this.emit('rejected', letter);
    return false;
  }
}

function isCommandTopic(prefix: string, topic: string): boolean {
  const parts = topic.split('/');
  const depth = prefix.split('/').length;
  return parts.length > depth + 4 && parts[depth + 3] === 'cmd';
}

function sample(payload: Buffer, size = payload.length): string {
  if (size === 0) return '';
  const head = payload
    .subarray(0, SAMPLE_BYTES)
    .toString('utf8')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
  return size > SAMPLE_BYTES ? `${head}… (${size} bytes)` : head;
}
