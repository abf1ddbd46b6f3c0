/**
 * The Events service of a simulated camera: PullPoint subscriptions with their termination times,
 * long-polled PullMessages, Renew and Unsubscribe. Times on the wire are the camera's clock;
 * expiry is kept on the real clock, so changing the camera's clock does not kill subscriptions.
 */

export interface SimNotification {
  topic: string;
  /** Camera time, epoch ms. */
  utcTime: number;
  operation: 'Initialized' | 'Changed' | 'Deleted';
  source: Record<string, string>;
  data: Record<string, string>;
}

interface Waiter {
  resolve(): void;
}

interface Subscription {
  id: number;
  /** Real clock, epoch ms. */
  expiresAt: number;
  queue: SimNotification[];
  waiters: Set<Waiter>;
}

export interface SubscriptionAnswer {
  address: string;
  currentTime: number;
  terminationTime: number;
}

export type PullResult =
  | { kind: 'messages'; currentTime: number; terminationTime: number; messages: SimNotification[] }
  | { kind: 'unknown' };

export interface PullPointStats {
  created: number;
  expired: number;
  renewed: number;
  unsubscribed: number;
  dropped: number;
}

/** Real cameras hold a few subscriptions; the oldest goes when a new one would exceed this. */
const MAX_SUBSCRIPTIONS = 10;
/** Each subscription keeps at most this many undelivered messages (the oldest are dropped). */
const MAX_QUEUE = 200;

export class PullPointManager {
  readonly stats: PullPointStats = { created: 0, expired: 0, renewed: 0, unsubscribed: 0, dropped: 0 };
  readonly #subs = new Map<number, Subscription>();
  readonly #cameraNow: () => number;
  #next = 1;

  constructor(cameraNow: () => number) {
    this.#cameraNow = cameraNow;
  }

  get active(): number {
    this.#sweep();
    return this.#subs.size;
  }

  /** `base` is `http://host:port`; the subscription lives at `${base}/onvif/subscription/<id>`. */
  create(base: string, ttlMs: number, initial: SimNotification[]): SubscriptionAnswer {
    this.#sweep();
    if (this.#subs.size >= MAX_SUBSCRIPTIONS) {
      const oldest = [...this.#subs.values()][0]!;
      this.#end(oldest);
    }
    const sub: Subscription = {
      id: this.#next++,
      expiresAt: Date.now() + ttlMs,
      queue: [...initial],
      waiters: new Set(),
    };
    this.#subs.set(sub.id, sub);
    this.stats.created++;
    return { address: `${base}/onvif/subscription/${sub.id}`, ...this.#times(sub) };
  }

  /** Undefined for an unknown or expired subscription. */
  renew(
    id: number,
    ttlMs: number,
    honour: boolean,
  ): { currentTime: number; terminationTime: number } | undefined {
    const sub = this.#live(id);
    if (!sub) return undefined;
    // A camera told to let subscriptions expire answers Renew without extending anything.
    if (honour) sub.expiresAt = Date.now() + ttlMs;
    this.stats.renewed++;
    return this.#times(sub);
  }

  unsubscribe(id: number): boolean {
    const sub = this.#live(id);
    if (!sub) return false;
    this.stats.unsubscribed++;
    this.#end(sub);
    return true;
  }

  /**
   * Answers at once when messages wait; otherwise holds until one arrives, the subscription ends,
   * `timeoutMs` passes or `cancel` fires (the client hung up).
   */
  async pull(id: number, timeoutMs: number, limit: number, cancel: AbortSignal): Promise<PullResult> {
    const sub = this.#live(id);
    if (!sub) return { kind: 'unknown' };
    if (sub.queue.length === 0 && timeoutMs > 0) {
      const holdMs = Math.min(timeoutMs, Math.max(0, sub.expiresAt - Date.now()));
      await new Promise<void>((resolve) => {
        const waiter: Waiter = { resolve: () => done() };
        const timer = setTimeout(done, holdMs);
        function done(): void {
          clearTimeout(timer);
          sub!.waiters.delete(waiter);
          cancel.removeEventListener('abort', done);
          resolve();
        }
        sub.waiters.add(waiter);
        cancel.addEventListener('abort', done, { once: true });
      });
    }
    if (!this.#live(id)) return { kind: 'unknown' };
    // A client that hung up gets nothing: its messages wait for its next pull instead of being lost.
    if (cancel.aborted) return { kind: 'messages', messages: [], ...this.#times(sub) };
    const messages = sub.queue.splice(0, Math.max(1, limit));
    return { kind: 'messages', messages, ...this.#times(sub) };
  }

  publish(message: SimNotification): void {
    this.#sweep();
    for (const sub of this.#subs.values()) {
      sub.queue.push(message);
      if (sub.queue.length > MAX_QUEUE) sub.queue.shift();
      for (const waiter of [...sub.waiters]) waiter.resolve();
    }
  }

  /** Every subscription reaches its termination time now (held pulls are answered as unknown). */
  expireAll(): void {
    for (const sub of this.#subs.values()) {
      sub.expiresAt = Date.now();
      for (const waiter of [...sub.waiters]) waiter.resolve();
    }
  }

  /** A reboot: every subscription is forgotten, held pulls are answered (as unknown). */
  dropAll(): void {
    for (const sub of [...this.#subs.values()]) this.#end(sub);
    this.stats.dropped++;
  }

  #times(sub: Subscription): { currentTime: number; terminationTime: number } {
    const now = this.#cameraNow();
    return { currentTime: now, terminationTime: now + Math.max(0, sub.expiresAt - Date.now()) };
  }

  #live(id: number): Subscription | undefined {
    const sub = this.#subs.get(id);
    if (sub && sub.expiresAt <= Date.now()) {
      this.stats.expired++;
      this.#end(sub);
      return undefined;
    }
    return sub;
  }

  #sweep(): void {
    for (const sub of [...this.#subs.values()]) this.#live(sub.id);
  }

  #end(sub: Subscription): void {
    this.#subs.delete(sub.id);
    for (const waiter of [...sub.waiters]) waiter.resolve();
  }
}

/** `PT10S`, `PT1M30S`, `PT0.5S`, `P1DT2H` → ms; undefined for anything else. */
export function parseXsdDuration(value: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (!m || value.trim() === 'P' || value.trim().endsWith('T')) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Number(s) * 1000);
}
