import { backoffDelayMs, type BackoffOptions } from '../../gateway/backoff.ts';
import { errorMessage, isGatewayError } from '../../gateway/errors.ts';
import type { OnvifClient } from './client.ts';
import {
  ACTION,
  decodeCreatePullPoint,
  decodePullMessages,
  decodeRenew,
  REQUEST,
  xsdSeconds,
  type Notification,
  type SubscriptionTimes,
} from './messages.ts';

export interface PullPointOptions {
  client: OnvifClient;
  /** The camera's Events service address. */
  eventsXaddr: string;
  /** How long the camera may hold one PullMessages open. */
  pullTimeoutMs: number;
  subscriptionTtlMs: number;
  /** Allowance for the network on top of the long poll, and the limit of every other call. */
  timeoutMs: number;
  messageLimit?: number;
  backoff: BackoffOptions;
  onMessages(messages: Notification[]): void;
  /** `subscribed` after each (re-)creation; `lost` when a subscription dies, with why. */
  onState?(state: 'subscribed' | 'lost', detail: string): void;
}

interface Subscription {
  address: string;
  /** Our clock, ms: when the camera will drop it. */
  expiresAt: number;
}

export interface PullPointStats {
  created: number;
  renewed: number;
  pulls: number;
  lost: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Our PullPoint client (node-onvif has no Events service): create a subscription, long-poll
 * PullMessages, Renew before the camera's termination time, and create a new subscription when
 * the old one dies — the camera rebooted, forgot it, let it expire or would not extend it. Retries
 * follow the gateway's backoff policy. Unsubscribes on the way out so the camera's few
 * subscription slots are not left taken.
 */
export class PullPointSubscriber {
  readonly stats: PullPointStats = { created: 0, renewed: 0, pulls: 0, lost: 0 };
  readonly #o: PullPointOptions;
  #sub: Subscription | undefined;

  constructor(options: PullPointOptions) {
    this.#o = options;
  }

  get subscribed(): boolean {
    return this.#sub !== undefined;
  }

  /** Runs until `signal` aborts; never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      try {
        if (!this.#sub) await this.#create(signal);
        await this.#renewIfDue(signal);
        if (!this.#sub) continue; // renewal found it dying: a new one is made first
        await this.#pull(this.#sub, signal);
        attempt = 0;
      } catch (err) {
        if (signal.aborted) break;
        const sub = this.#sub;
        if (sub) {
          this.#sub = undefined;
          this.stats.lost++;
          this.#o.onState?.('lost', errorMessage(err));
          // A camera that was only slow still holds it: free the slot rather than wait for expiry.
          if (isGatewayError(err, 'CGW_ONVIF_TIMEOUT')) void this.#unsubscribeFrom(sub.address);
        }
        attempt++;
        await sleep(backoffDelayMs(attempt, this.#o.backoff), signal);
      }
    }
    await this.#unsubscribe();
  }

  async #create(signal: AbortSignal): Promise<void> {
    const { client, eventsXaddr, subscriptionTtlMs, timeoutMs } = this.#o;
    const body = await client.call(eventsXaddr, REQUEST.createPullPoint(subscriptionTtlMs), {
      signal,
      timeoutMs,
    });
    const answer = decodeCreatePullPoint(body);
    if (!answer) throw new Error('CreatePullPointSubscription answer has no subscription address');
    this.#sub = { address: answer.address, expiresAt: this.#expiry(answer) };
    this.stats.created++;
    this.#o.onState?.('subscribed', answer.address);
  }

  /** Our-clock expiry from an answer's times; the asked lifetime when the camera gives none. */
  #expiry(times: SubscriptionTimes, fallback = Date.now() + this.#o.subscriptionTtlMs): number {
    const { currentTime, terminationTime } = times;
    if (terminationTime === undefined) return fallback;
    // Both in the camera's clock: their difference needs no offset and survives a wrong clock.
    if (currentTime !== undefined) return Date.now() + (terminationTime - currentTime);
    return this.#o.client.toLocal(terminationTime);
  }

  /** What PullMessages asks the camera to wait: whole seconds, as cameras parse `PT…S`. */
  get #holdMs(): number {
    return xsdSeconds(this.#o.pullTimeoutMs) * 1000;
  }

  /** The longest a pull may take: renew when less than this is left. */
  get #margin(): number {
    return this.#holdMs + this.#o.timeoutMs;
  }

  async #renewIfDue(signal: AbortSignal): Promise<void> {
    const sub = this.#sub!;
    if (sub.expiresAt - Date.now() > this.#margin) return;
    const { client, subscriptionTtlMs, timeoutMs } = this.#o;
    const body = await client.call(sub.address, REQUEST.renew(subscriptionTtlMs), {
      to: sub.address,
      action: ACTION.renew,
      signal,
      timeoutMs,
    });
    const answer = decodeRenew(body);
    if (!answer) throw new Error('Renew answer not understood');
    sub.expiresAt = this.#expiry(answer, sub.expiresAt);
    this.stats.renewed++;
    // A camera that answers Renew without extending (seen on some firmwares) lets it lapse: move
    // to a fresh subscription now rather than lose the events after it ends.
    if (sub.expiresAt - Date.now() < Math.min(this.#margin, subscriptionTtlMs / 2)) {
      this.#o.onState?.('lost', 'camera did not extend the subscription');
      this.stats.lost++;
      this.#sub = undefined;
      void this.#unsubscribeFrom(sub.address);
    }
  }

  async #pull(sub: Subscription, signal: AbortSignal): Promise<void> {
    const { client, timeoutMs, messageLimit } = this.#o;
    const holdMs = this.#holdMs;
    const started = Date.now();
    const body = await client.call(sub.address, REQUEST.pullMessages(holdMs, messageLimit ?? 20), {
      to: sub.address,
      action: ACTION.pullMessages,
      signal,
      timeoutMs: holdMs + timeoutMs,
    });
    this.stats.pulls++;
    const answer = decodePullMessages(body);
    if (!answer) throw new Error('PullMessages answer not understood');
    if (answer.terminationTime !== undefined) sub.expiresAt = this.#expiry(answer, sub.expiresAt);
    if (answer.messages.length) this.#o.onMessages(answer.messages);
    // A camera that does not hold the poll open would be asked again in a tight loop.
    else if (Date.now() - started < holdMs / 4) await sleep(Math.min(1000, holdMs / 4), signal);
  }

  async #unsubscribe(): Promise<void> {
    const sub = this.#sub;
    this.#sub = undefined;
    if (sub) await this.#unsubscribeFrom(sub.address);
  }

  /** Best effort: a camera that is gone frees the slot itself when the subscription ends. */
  async #unsubscribeFrom(address: string): Promise<void> {
    try {
      await this.#o.client.call(address, REQUEST.unsubscribe, {
        to: address,
        action: ACTION.unsubscribe,
        timeoutMs: Math.min(this.#o.timeoutMs, 1000),
      });
    } catch {
      // nothing to do: see above
    }
  }
}
