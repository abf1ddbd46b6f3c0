import type { SeriesQuery, SeriesSample } from './series-store.ts';

/**
 * The downsampling both stores share (SeriesQuery.points): [from, to) is cut into equal buckets
 * of `bucketWidthMs` milliseconds, the first starting at `from`, so there are at most `points`
 * buckets. A bucket's value is the mean of its numeric values, booleans counting as 0 and 1; a
 * bucket that holds only strings takes its last string. Empty buckets are left out. Each bucket is
 * stamped with its start.
 */
export function bucketWidthMs(from: number, to: number, points: number): number {
  return Math.max(1, Math.ceil((to - from) / Math.max(1, Math.floor(points))));
}

/** Buckets time-ordered raw samples in memory (used where the database cannot average). */
export function downsample(samples: readonly SeriesSample[], query: SeriesQuery): SeriesSample[] {
  const { from, to } = query;
  const width = bucketWidthMs(from, to, query.points ?? Number.MAX_SAFE_INTEGER);
  const out: SeriesSample[] = [];
  let bucket = -1;
  let sum = 0;
  let n = 0;
  let lastString: string | undefined;
  const close = () => {
    if (bucket < 0) return;
    const value = n > 0 ? sum / n : lastString;
    if (value !== undefined) out.push({ ts: from + bucket * width, value });
  };
  for (const { ts, value } of samples) {
    if (ts < from || ts >= to) continue;
    const b = Math.floor((ts - from) / width);
    if (b !== bucket) {
      close();
      bucket = b;
      sum = 0;
      n = 0;
      lastString = undefined;
    }
    if (typeof value === 'string') lastString = value;
    else {
      sum += typeof value === 'boolean' ? Number(value) : value;
      n++;
    }
  }
  close();
  return out;
}
