import type { AlertStore } from './store/alert-store.ts';

interface Dirty {
  rule: string;
  device: string;
  hash: string;
  state: unknown;
  at: number;
}

/**
 * Writes rule states (pending `for` timers, on/off) to the alert database. A state that caused
 * an alert transition is written with it, in its transaction; the others (a `for` window opening
 * or closing on a chatty device) are gathered and written together every `flushMs`, so a
 * flickering value costs one transaction per interval, not one per message. What a crash can
 * lose is the last interval: a `for` window then restarts at the next reading (late, never
 * doubled: an alert already open takes a repeat, not a second notification).
 */
export class StateSaver {
  readonly #store: AlertStore;
  readonly #flushMs: number;
  readonly #dirty = new Map<string, Dirty>();
  #timer: NodeJS.Timeout | undefined;

  constructor(store: AlertStore, flushMs = 200) {
    this.#store = store;
    this.#flushMs = flushMs;
  }

  /** Written within the next interval. */
  later(key: string, d: Dirty): void {
    this.#dirty.set(key, d);
    if (!this.#timer && this.#flushMs > 0) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Written now (call inside the transaction of the alert change it caused). */
  now(key: string, d: Dirty): void {
    this.#dirty.delete(key);
    this.#store.putRuleState(d.rule, d.device, d.hash, d.state, d.at);
  }

  /** A rule's states are void (it changed or went): nothing of it is written any more. */
  forget(rule: string): void {
    for (const [key, d] of this.#dirty) if (d.rule === rule) this.#dirty.delete(key);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#dirty.size) return;
    const batch = [...this.#dirty.values()];
    this.#dirty.clear();
    this.#store.transaction(() => {
      for (const d of batch) this.#store.putRuleState(d.rule, d.device, d.hash, d.state, d.at);
    });
  }
}
