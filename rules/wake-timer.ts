import type { Clock } from '../gateway/clock.ts';

/**
 * One timer for "wake me at the earliest of these times" on an injected clock: arming it for a
 * later time than it already has is a no-op, an earlier one replaces it. Unref'd: it never keeps
 * the process alive by itself.
 */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #onWake: () => void;
  #timer: NodeJS.Timeout | undefined;
  #at = Infinity;

  constructor(clock: Clock, onWake: () => void) {
    this.#clock = clock;
    this.#onWake = onWake;
  }

  arm(at: number): void {
    if (!Number.isFinite(at) || (this.#timer && at >= this.#at)) return;
    clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#at = Infinity;
        this.#onWake();
      },
      Math.max(0, at - this.#clock.now()),
    );
    this.#timer.unref();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }
}
