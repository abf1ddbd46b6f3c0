import { EventEmitter } from 'node:events';
import type { DeviceEvent, Reading, Status } from './types.ts';

/** Something the registry changed: the live picture the dashboard streams. */
export interface DeviceUpdate {
  deviceId: string;
  ts: number;
  values?: Record<string, unknown>;
  online?: boolean;
  reason?: string;
}

/** A rejected input, as the dead-letter list keeps it. */
export interface DeadLetter {
  ts: number;
  reason: RejectReason;
  source: string;
  deviceId?: string;
  topic?: string;
  detail: string;
  /** The first bytes of the payload, for a person to look at. */
  sample: string;
}

export const REJECT_REASONS = [
  'not_json',
  'invalid_payload',
  'unknown_device',
  'bad_topic',
  'oversize',
  'wrong_sender',
  'unauthorized',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Every message on the bus, by name. */
export interface BusEvents {
  reading: [Reading];
  event: [DeviceEvent];
  status: [Status];
  update: [DeviceUpdate];
  rejected: [DeadLetter];
}

/** A typed in-process event bus. Listeners must not throw; a thrown error is logged, not propagated. */
export class Bus {
  readonly #emitter = new EventEmitter({ captureRejections: false });
  readonly #onError: (err: unknown, name: string) => void;

  constructor(onError: (err: unknown, name: string) => void = () => {}) {
    this.#emitter.setMaxListeners(100);
    this.#onError = onError;
  }

  on<K extends keyof BusEvents>(name: K, listener: (...args: BusEvents[K]) => void): () => void {
    const safe = (...args: BusEvents[K]): void => {
      try {
        listener(...args);
      } catch (err) {
        this.#onError(err, name);
      }
    };
    this.#emitter.on(name, safe as (...a: unknown[]) => void);
    return () => this.#emitter.off(name, safe as (...a: unknown[]) => void);
  }

  /** How many listeners a message has (tests check that subscribers clean up). */
  listenerCount(name: keyof BusEvents): number {
    return this.#emitter.listenerCount(name);
  }

  emit<K extends keyof BusEvents>(name: K, ...args: BusEvents[K]): void {
    this.#emitter.emit(name, ...args);
  }
}
