import type { DeadLetter, RejectReason } from './bus.ts';

/** A bounded ring of the most recent rejected inputs, newest first on read. */
export class DeadLetterList {
  readonly #capacity: number;
  readonly #items: DeadLetter[] = [];
  #next = 0;
  #total = 0;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  add(letter: DeadLetter): void {
    this.#total++;
    if (this.#items.length < this.#capacity) this.#items.push(letter);
    else this.#items[this.#next] = letter;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Total ever added (the list itself keeps only the newest `capacity`). */
  get total(): number {
    return this.#total;
  }

  list(filter: { reason?: RejectReason; deviceId?: string; limit?: number } = {}): DeadLetter[] {
    const ordered =
      this.#items.length < this.#capacity
        ? [...this.#items].reverse()
        : [...this.#items.slice(0, this.#next).reverse(), ...this.#items.slice(this.#next).reverse()];
    const matching = ordered.filter(
      (l) =>
        (!filter.reason || l.reason === filter.reason) &&
        (!filter.deviceId || l.deviceId === filter.deviceId),
    );
    return matching.slice(0, filter.limit ?? this.#capacity);
  }
}
