import type { DeviceEvent } from '../gateway/types.ts';

/**
 * The newest device events, for `GET /api/events` (the control room's running log). A ring in
 * memory: the full history is in the series store's `events` measurement. Person fields arrive
 * already pseudonymised by the pipeline.
 */
export class RecentEvents {
  readonly #ring: Array<DeviceEvent | undefined>;
  #next = 0;
  #count = 0;

  constructor(capacity = 1000) {
    this.#ring = new Array<DeviceEvent | undefined>(capacity);
  }

  add(event: DeviceEvent): void {
    this.#ring[this.#next] = event;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#count = Math.min(this.#count + 1, this.#ring.length);
  }

  /** Newest first. */
  list(filter: { device?: string; type?: string; limit?: number } = {}): DeviceEvent[] {
    const out: DeviceEvent[] = [];
    const limit = filter.limit ?? 100;
    for (let i = 1; i <= this.#count && out.length < limit; i++) {
      const e = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length]!;
      if (filter.device && e.deviceId !== filter.device) continue;
      if (filter.type && e.type !== filter.type) continue;
      out.push(e);
    }
    return out;
  }
}
