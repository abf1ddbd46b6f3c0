import type { Logger } from '../gateway/log.ts';
import type { DeviceSimulator, SimMessage } from './device-simulator.ts';
import type { MqttDeviceClient } from './mqtt-device.ts';

/** What one simulated device has sent (and failed to send while disconnected). */
export interface PublishCounters {
  telemetry: number;
  event: number;
  /** Raw (garbage) payloads. */
  raw: number;
  /** Messages the model produced while the connection was down. */
  dropped: number;
}

export function emptyCounters(): PublishCounters {
  return { telemetry: 0, event: 0, raw: 0, dropped: 0 };
}

/**
 * Glue between one model and its MQTT connection: feeds the model's messages to the client and
 * turns the `offline` fault into an unclean disconnect (the last-will path) and back. It owns no
 * timer: the community ticks every device from one interval.
 */
export class DeviceRunner<S extends DeviceSimulator = DeviceSimulator> {
  readonly sim: S;
  readonly client: MqttDeviceClient;
  readonly #counters = emptyCounters();
  readonly #log: Logger;
  #unlisten: Array<() => void> = [];
  #stopped = false;

  constructor(sim: S, client: MqttDeviceClient, log: Logger) {
    this.sim = sim;
    this.client = client;
    this.#log = log;
  }

  start(): void {
    if (this.#unlisten.length || this.#stopped) return;
    const offFault = this.sim.onFaultChange((name, on) => {
      this.#log.info({ device: this.sim.id, fault: name, on }, 'fault switched');
      if (name !== 'offline') return;
      if (on) this.client.dropUnclean();
      else this.client.resume();
    });
    // Like a real controller, report the current state as soon as the connection is up.
    const offConnect = this.client.onConnect(() => this.sim.reportNow());
    this.#unlisten = [offFault, offConnect];
    if (!this.sim.activeFaults().includes('offline')) this.client.start();
  }

  /** Advances the model to `modelNow`; `toWallTs` maps a model instant to the `ts` to publish. */
  tick(modelNow: number, toWallTs: (at: number) => number): void {
    if (this.#stopped) return;
    for (const message of this.sim.step(modelNow)) this.#send(message, Math.round(toWallTs(message.at)));
  }

  #send(message: SimMessage, ts: number): void {
    let sent: boolean;
    if (message.channel === 'telemetry') sent = this.client.publishTelemetry({ ts, values: message.values });
    else if (message.channel === 'event') {
      // Extra fields go beside `type`; they never overwrite it or `ts`.
      sent = this.client.publishEvent({ ...message.data, ts, type: message.type });
    } else sent = this.client.publishRaw(this.client.topics[message.on], message.bytes);
    if (!sent) this.#counters.dropped++;
    else if (message.channel === 'telemetry') this.#counters.telemetry++;
    else if (message.channel === 'event') this.#counters.event++;
    else this.#counters.raw++;
  }

  /** Switches a fault by name, as a scenario file or the CLI spells it; throws on an unknown one. */
  setFault(name: string, on: boolean): void {
    const known = this.sim.faultNames.find((n) => n === name);
    if (known === undefined) {
      throw new RangeError(
        `device ${this.sim.id} (${this.sim.kind}) has no fault "${name}"; it knows ${this.sim.faultNames.join(', ')}`,
      );
    }
    this.sim.setFault(known, on);
  }

  counters(): PublishCounters {
    return { ...this.#counters };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    await this.client.stop();
  }
}
