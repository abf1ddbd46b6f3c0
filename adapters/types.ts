import { EventEmitter } from 'node:events';
import type { DeadLetter } from '../gateway/bus.ts';
import type { DeviceEvent, Reading, Status } from '../gateway/types.ts';

/** What an adapter tells the core. Nothing protocol-specific crosses this line. */
export interface AdapterEvents {
  reading: [Reading];
  event: [DeviceEvent];
  status: [Status];
  rejected: [DeadLetter];
}

/**
 * The one interface every protocol adapter implements. `start` and `stop` are idempotent;
 * `stop` during `start` is safe and leaves nothing running.
 */
export interface Adapter {
  readonly protocol: string;
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  on<K extends keyof AdapterEvents>(name: K, listener: (...args: AdapterEvents[K]) => void): this;
  off<K extends keyof AdapterEvents>(name: K, listener: (...args: AdapterEvents[K]) => void): this;
}

/** A typed emitter base for adapters. */
export class AdapterEmitter extends EventEmitter<AdapterEvents> {}
