/** With more than this waiting the drain stops yielding to new alerts: catching up comes first. */
const YIELD_MAX_WAITING = 64;

/**
 * Lets an alert leave before the bulk work that arrived with it.
 *
 * The embedded broker writes a publish to its subscribers on a later turn of the event loop (aedes
 * defers each delivery with `setImmediate`), so an alert waits for every socket read of its turn:
 * on a busy estate a burst of telemetry from other devices, each message decoded, stored, put in
 * the registry and run through the rules. Here, once the gateway has published (an alert), the
 * pipeline's work for input arriving after it is queued instead and done two turns on (the first
 * `setImmediate` runs before the broker's, the second after it), behind the alert's write.
 *
 * Nothing is skipped and nothing overtakes: while anything is queued, new input joins the end of
 * the queue, so every device's messages are handled in the order they came. An input handler that
 * throws is reported and the queue goes on. When the queued work publishes again, the rest waits
 * behind that write too, unless more than 64 pieces wait: in a storm of alerts catching up comes
 * first. `flush()` does the queued work at once (on stop).
 */
/** Connections' reads stopped and restarted (the embedded broker's `holdInput`/`releaseInput`). */
export interface InputHold {
  hold(): void;
  release(): void;
}

export class AlarmsFirst {
  readonly #onError: (err: unknown) => void;
  #input: InputHold | undefined;
  #queue: Array<(arg: never) => void> = [];
  #args: unknown[] = [];
  #head = 0;
  /** A publish went out since the queue was last drained: its write comes first. */
  #published = false;
  #armed = false;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Pieces of work waiting behind an alert. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** Calls `fn(arg)` now, or queues it while a publish is on its way or others wait. */
  run<T>(fn: (arg: T) => void, arg: T): void {
    if (!this.#published && this.#head === this.#queue.length) return fn(arg);
    this.#queue.push(fn as (arg: never) => void);
    this.#args.push(arg);
  }

  /**
   * Also stops the connections' reads while a publish is on its way: the rest of the event loop's
   * turn then has no other client's data to parse (aedes parses, authorises and routes every
   * packet before the adapter sees it, 20-40 µs each), so the broker's deferred write of the alert
   * comes sooner. The reads restart right after that write, before the queued work runs.
   */
  holdInputWith(input: InputHold): void {
    this.#input = input;
  }

  /** The gateway has just handed a message to the broker: input from now on waits behind it. */
  published(): void {
    this.#published = true;
    this.#input?.hold();
    this.#arm();
  }

  /** Does everything queued, now. */
  flush(): void {
    this.#published = false;
    this.#input?.release();
    this.#drain(false);
  }

  #arm(): void {
    if (this.#armed) return;
    this.#armed = true;
    setImmediate(() =>
      setImmediate(() => {
        this.#armed = false;
        this.#published = false;
        this.#input?.release();
        this.#drain(true);
      }),
    );
  }

  /** Runs the queue in order; stops early (and re-arms) when the work publishes again. */
  #drain(yieldToPublishes: boolean): void {
    while (this.#head < this.#queue.length) {
      // Behind (a storm of alerts): no more yielding, everything waiting goes at full speed.
      if (yieldToPublishes && this.#published && this.waiting <= YIELD_MAX_WAITING) return this.#yield();
      const fn = this.#queue[this.#head]!;
      const arg = this.#args[this.#head] as never;
      this.#head++;
      try {
        fn(arg);
      } catch (err) {
        this.#onError(err);
      }
    }
    this.#queue = [];
    this.#args = [];
    this.#head = 0;
  }

  /** Stops draining until the new publish is written; what was done is dropped from the queue. */
  #yield(): void {
    // Under an alert storm the queue may never run empty: cut off the done part now and then.
    if (this.#head >= 1024) {
      this.#queue = this.#queue.slice(this.#head);
      this.#args = this.#args.slice(this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}
