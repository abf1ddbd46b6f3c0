import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line. */
const REDACT = [
  'password',
  'passwordHash',
  'secret',
  'token',
  'authorization',
  'cookie',
  '*.password',
  '*.passwordHash',
  '*.secret',
  '*.token',
  '*.person',
  'data.person',
];

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

/** The root logger; modules take `log.child({module: 'x'})`. */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.CGW_LOG_LEVEL ?? 'info';
  const opts = { level, redact: { paths: REDACT, censor: '[masked]' }, base: undefined };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Lets one line per key through per window: "pump-3: bad payload" once a minute, not once per
 * message. Returns how many were held back since the last line, so the line can say so.
 */
export class LogThrottle {
  readonly #windowMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(windowMs = 60_000) {
    this.#windowMs = windowMs;
  }

  /** undefined: stay quiet; a number: log now, that many were suppressed before. */
  take(key: string, now: number): number | undefined {
    const entry = this.#last.get(key);
    if (entry && now - entry.at < this.#windowMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.#last.set(key, { at: now, suppressed: 0 });
    if (this.#last.size > 10_000) this.#evict(now);
    return suppressed;
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#last) if (now - entry.at >= this.#windowMs) this.#last.delete(key);
  }
}
