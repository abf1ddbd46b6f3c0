import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { AuditLog } from './auth-store.ts';

export interface AuditRetentionOptions {
  audit: AuditLog;
  /** Entries older than this are deleted. */
  keepMs: number;
  clock: Clock;
  log: Logger;
  /** Between passes (default an hour); the first pass runs at once. */
  everyMs?: number;
  /** Entries deleted per turn of the event loop (default 1,000), so a long backlog never stalls it. */
  chunk?: number;
}

/**
 * Keeps the audit log to `keepMs`: a pass at start and then every `everyMs`, deleting in chunks
 * with a turn of the event loop between them. Returns the function that stops it.
 */
export function keepAuditFor(options: AuditRetentionOptions): () => void {
  const { audit, keepMs, clock, log } = options;
  const chunk = options.chunk ?? 1000;
  let stopped = false;
  let running = false;
  let immediate: NodeJS.Immediate | undefined;
  const pass = (): void => {
    if (running || stopped) return;
    running = true;
    const before = clock.now() - keepMs;
    let deleted = 0;
    const step = (): void => {
      immediate = undefined;
      if (stopped) return;
      let n: number;
      try {
        n = audit.pruneBefore(before, chunk);
      } catch (err) {
        running = false;
        log.warn({ err }, 'could not prune the audit log');
        return;
      }
      deleted += n;
      if (n === chunk) {
        immediate = setImmediate(step);
        return;
      }
      running = false;
      if (deleted > 0)
        log.info({ deleted }, `audit log: ${deleted} entries older than the retention deleted`);
    };
    step();
  };
  pass();
  const timer = setInterval(pass, options.everyMs ?? 3_600_000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    clearImmediate(immediate);
  };
}
