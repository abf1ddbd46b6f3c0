/**
 * A small seeded PRNG (mulberry32) so a simulated community replays the same way from the same
 * seed: a test that saw a lift trapped at floor 7 sees it there again. `Math.random` is never used
 * in the simulators for that reason.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** Integer in [min, max], both ends included. */
  int(min: number, max: number): number;
  /** Normal distribution (Box-Muller); optionally clamped to [min, max]. */
  normal(mean: number, sd: number, min?: number, max?: number): number;
  /** Exponential waiting time with the given mean (Poisson arrivals). */
  exponential(mean: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One item, uniformly; throws on an empty list (a caller bug, not a run-time condition). */
  pick<T>(items: readonly T[]): T;
  /** One item by weight: `weighted([['card', 5], ['pin', 1]])`. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T;
  /** `n` lowercase hex digits, for pseudonymous ids. */
  hex(n: number): string;
  /** An independent stream derived from this one's seed and a label (one per device). */
  fork(label: string): Random;
}

/** FNV-1a over the parts: a stable 32-bit seed from a community seed and a device id. */
export function hashSeed(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${String(part)}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  return h >>> 0;
}

export function createRandom(seed: number): Random {
  const initial = seed >>> 0;
  let state = initial;
  const next = (): number => {
    // mulberry32: tiny, fast, and good enough for traffic simulation (not for cryptography).
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const clamp = (x: number, min = -Infinity, max = Infinity): number => Math.min(max, Math.max(min, x));

  const random: Random = {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal(mean, sd, min, max) {
      // 1 - next() is in (0, 1], so the log is finite.
      const u = 1 - next();
      const v = next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return clamp(mean + sd * z, min, max);
    },
    exponential: (mean) => -mean * Math.log(1 - next()),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
      const total = entries.reduce((sum, [, w]) => sum + Math.max(0, w), 0);
      if (entries.length === 0 || total <= 0) throw new RangeError('weighted pick needs a positive weight');
      let r = next() * total;
      for (const [item, w] of entries) {
        r -= Math.max(0, w);
        if (r < 0) return item;
      }
      return entries[entries.length - 1]![0];
    },
    hex(n) {
      let out = '';
      for (let i = 0; i < n; i++) out += Math.floor(next() * 16).toString(16);
      return out;
    },
    fork: (label) => createRandom(hashSeed(initial, label)),
  };
  return random;
}
