import { backoffDelayMs, type BackoffOptions } from '../../gateway/backoff.ts';
import type { Clock } from '../../gateway/clock.ts';
import { errorMessage, isGatewayError } from '../../gateway/errors.ts';
import type { Logger } from '../../gateway/log.ts';
import { formatDuration } from '../../gateway/duration.ts';
import type { OutboxEntry, OutboxStore } from '../store/outbox-store.ts';
import { WakeTimer } from '../wake-timer.ts';
import type { ChannelSender } from './senders.ts';

export interface OutboxWorkerOptions {
  store: OutboxStore;
  senders: ReadonlyMap<string, ChannelSender>;
  clock: Clock;
  log: Logger;
  /** Delays between attempts (gateway/backoff.ts). */
  backoff: BackoffOptions;
  /** An entry still failing this long after it was queued is given up (and logged). */
  giveUpAfterMs: number;
  /** Called after each entry is sent (tests and the bench watch deliveries). */
  onSent?: (entry: OutboxEntry) => void;
}

/**
 * Delivers the outbox: per channel one entry at a time, oldest first, so a technician never sees
 * "resolved" before "fired"; channels do not wait for each other. A failing entry is retried with
 * the gateway's backoff and holds back the entries behind it on its channel. Each entry is marked
 * sent right after its channel accepted it, so nothing is sent twice (unless the process dies
 * between the two: receivers can drop repeats by `X-CGW-Delivery`).
 */
export class OutboxWorker {
  readonly #o: OutboxWorkerOptions;
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Channels currently failing, with since when: logged once when they fail and once when back. */
  readonly #failing = new Map<string, number>();
  readonly #wake: WakeTimer;
  #scheduled = false;
  #running = false;

  constructor(options: OutboxWorkerOptions) {
    this.#o = options;
    this.#wake = new WakeTimer(options.clock, () => this.pass());
  }

  /** True while some channel's last attempt failed. */
  get failing(): boolean {
    return this.#failing.size > 0;
  }

  start(): void {
    this.#running = true;
    this.wake();
  }

  /** Stops taking new entries and waits for the ones on their way. Idempotent. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake.cancel();
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Something was queued: look as soon as the caller's synchronous work (its transaction) is
   * done — on the next tick, not behind the I/O callbacks already waiting (setImmediate put a
   * loaded event loop's worth of messages between an alert and its notification).
   */
  wake(): void {
    if (!this.#running || this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#scheduled = false;
      this.pass();
    });
  }

  /**
   * Entries just committed: each one whose channel is free and has nothing older to send goes at
   * once, without the look through the table a pass takes (an alert leaves in the turn it fired;
   * the pass cost 50-100 µs and waited for the next tick). The others wait for a pass.
   */
  offer(entries: readonly OutboxEntry[]): void {
    if (!this.#running) return;
    const now = this.#o.clock.now();
    let waiting = false;
    for (const entry of entries) {
      if (entry.state !== 'pending') continue;
      const free =
        entry.notBefore <= now &&
        !this.#busy.has(entry.channel) &&
        !this.#o.store.hasPendingBefore(entry.channel, entry.id, now);
      if (free) this.#deliver(entry);
      else waiting = true;
    }
    if (waiting) this.wake();
  }

  /** Resolves when nothing is being sent (tests). */
  async idle(): Promise<void> {
    while (this.#inFlight.size || this.#scheduled) {
      await Promise.allSettled([...this.#inFlight]);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Starts every channel's next due entry; arms a timer for the next one not yet due. */
  pass(): void {
    if (!this.#running) return;
    const now = this.#o.clock.now();
    let next = this.#o.store.nextDeferred(now) ?? Infinity;
    for (const channel of this.#o.store.pendingChannels()) {
      if (this.#busy.has(channel)) continue;
      const head = this.#o.store.head(channel, now);
      if (!head) continue;
      if (head.nextAt > now) {
        next = Math.min(next, head.nextAt);
        continue;
      }
      this.#deliver(head);
    }
    this.#wake.arm(next);
  }

  #deliver(entry: OutboxEntry): void {
    const sender = this.#o.senders.get(entry.channel);
    this.#busy.add(entry.channel);
    const work = (async () => {
      try {
        if (!sender) throw new Error(`channel "${entry.channel}" is not configured any more`);
        await sender.send(entry);
        this.#sent(entry);
      } catch (err) {
        this.#failed(entry, err);
      }
    })().finally(() => {
      this.#busy.delete(entry.channel);
      this.#inFlight.delete(work);
      this.wake();
    });
    this.#inFlight.add(work);
  }

  #sent(entry: OutboxEntry): void {
    const now = this.#o.clock.now();
    this.#o.store.markSent(entry.id, now);
    const since = this.#failing.get(entry.channel);
    if (since !== undefined) {
      this.#failing.delete(entry.channel);
      this.#o.log.info(
        { channel: entry.channel },
        `notifications to ${entry.channel} delivered again after ${formatDuration(now - since)}`,
      );
    }
    this.#o.onSent?.(entry);
  }

  #failed(entry: OutboxEntry, err: unknown): void {
    const now = this.#o.clock.now();
    const message = errorMessage(err);
    const permanent = isGatewayError(err) ? !err.isTransient() : true;
    if (!this.#failing.has(entry.channel)) {
      this.#failing.set(entry.channel, now);
      this.#o.log.warn(
        { channel: entry.channel, code: isGatewayError(err) ? err.code : undefined },
        `notifications to ${entry.channel} failing: ${message}`,
      );
    }
    if (permanent || now - entry.createdAt >= this.#o.giveUpAfterMs) {
      this.#o.store.markDead(entry.id, message);
      this.#o.log.error(
        { channel: entry.channel, alert: entry.alertId, event: entry.event },
        `gave up notifying ${entry.channel} of alert ${entry.alertId} (${entry.event}) after ${entry.attempts + 1} attempt(s): ${message}`,
      );
      return;
    }
    this.#o.store.markRetry(entry.id, now + backoffDelayMs(entry.attempts + 1, this.#o.backoff), message);
  }
}
