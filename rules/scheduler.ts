/**
 * Keys due at a time, earliest first: `for` windows ending, silence clocks, escalations. One
 * outstanding time per key (the earliest asked for); a later `schedule` for a key that is already
 * due sooner is ignored, and `cancel` is lazy (the heap entry is skipped when it comes up). So a
 * device reporting every second does not grow the heap: its silence clock is re-armed only when
 * the old time comes up.
 */
export class TimerQueue {
  readonly #heap: Array<{ at: number; key: string }> = [];
  readonly #due = new Map<string, number>();

  get size(): number {
    return this.#due.size;
  }

  schedule(key: string, at: number): void {
    const current = this.#due.get(key);
    if (current !== undefined && current <= at) return;
    this.#due.set(key, at);
    this.#push({ at, key });
  }

  cancel(key: string): void {
    this.#due.delete(key);
  }

  /** The earliest live time, if any. */
  next(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.at;
  }

  /** Removes and returns every key due at or before `now`, earliest first. */
  takeDue(now: number): string[] {
    const keys: string[] = [];
    for (;;) {
      this.#dropStale();
      const top = this.#heap[0];
      if (!top || top.at > now) return keys;
      this.#pop();
      this.#due.delete(top.key);
      keys.push(top.key);
    }
  }

  clear(): void {
    this.#heap.length = 0;
    this.#due.clear();
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (!top || this.#due.get(top.key) === top.at) return;
      this.#pop();
    }
  }

  #push(item: { at: number; key: string }): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (!h.length) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
