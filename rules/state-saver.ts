import { runNow, type DeferWork } from '../gateway/store/series-store.ts';
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
 *
 * The interval's states go in transactions of at most `chunkRows`, one per turn of the event loop:
 * a busy estate gathers hundreds per interval (the alert bench: 330 every 200 ms, 3-6 ms in one
 * piece), and an alarm arriving meanwhile should wait for one chunk, not for all of them. The
 * interval is 1 s: a state flickering several times a second is written once a second (the
 * alert bench: 680 rows a second, against 1,640 with 200 ms), and no `for` window is so short that
 * a second lost in a crash matters. Each chunk runs through `defer` (the gateway's alarms-first
 * lane): in a turn that sends an alert, right after the alert's write.
 */
export class StateSaver {
  readonly #store: AlertStore;
  readonly #flushMs: number;
  readonly #chunkRows: number;
  readonly #defer: DeferWork;
  readonly #writeChunkNow = (): void => this.#writeChunk();
  readonly #dirty = new Map<string, Dirty>();
  #timer: NodeJS.Timeout | undefined;
  #next: NodeJS.Immediate | undefined;
  /** A chunk is waiting in `defer`. */
  #deferred = false;

  constructor(store: AlertStore, options: { flushMs?: number; chunkRows?: number; defer?: DeferWork } = {}) {
    this.#store = store;
    this.#flushMs = options.flushMs ?? 1000;
    this.#chunkRows = options.chunkRows ?? 64;
    this.#defer = options.defer ?? runNow;
  }

  /** Written within the next interval. */
  later(key: string, d: Dirty): void {
    this.#dirty.set(key, d);
    if (!this.#timer && !this.#next && !this.#deferred && this.#flushMs > 0) {
      this.#timer = setTimeout(() => this.#deferChunk(), this.#flushMs);
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

  /** Writes everything waiting, now, in one transaction (on stop). */
  flush(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#next);
    this.#timer = this.#next = undefined;
    this.#deferred = false;
    this.#write(this.#dirty.size);
  }

  #deferChunk(): void {
    this.#timer = this.#next = undefined;
    this.#deferred = true;
    this.#defer(this.#writeChunkNow);
  }

  /** The interval's flush: one chunk now, the next one on the next turn of the event loop. */
  #writeChunk(): void {
    if (!this.#deferred) return; // flushed meanwhile
    this.#deferred = false;
    this.#write(this.#chunkRows);
    if (this.#dirty.size) this.#next = setImmediate(() => this.#deferChunk());
  }

  /** Writes the `rows` longest waiting (a state changed again keeps its place, with its newest value). */
  #write(rows: number): void {
    if (!this.#dirty.size) return;
    const batch: Dirty[] = [];
    for (const [key, d] of this.#dirty) {
      if (batch.length === rows) break;
      batch.push(d);
      this.#dirty.delete(key);
    }
    this.#store.transaction(() => {
      for (const d of batch) this.#store.putRuleState(d.rule, d.device, d.hash, d.state, d.at);
    });
  }
}
