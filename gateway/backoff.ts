/**
 * The one retry policy of the gateway (STYLE.md: reconnect lives in one place): stores, adapters
 * and notifiers take their delays from here rather than inventing their own loops.
 *
 * Capped exponential backoff with "equal jitter": attempt 1 waits up to `minMs`, each further attempt
 * doubles the ceiling up to `maxMs`; the wait is uniform in [ceiling/2, ceiling] so a restarted
 * InfluxDB is not hit by every gateway at the same instant, yet never retried in a hot loop.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

export function backoffDelayMs(
  attempt: number,
  { minMs, maxMs }: BackoffOptions,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
