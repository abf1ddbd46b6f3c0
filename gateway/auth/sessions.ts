import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../dashboard/config.ts';
import type { Clock } from '../clock.ts';

/** A logged-in user, as a request sees it. */
export interface Session {
  username: string;
  role: Role;
  /** epoch ms */
  createdAt: number;
  /** epoch ms; the session is refused from this instant on. */
  expiresAt: number;
}

/** How often, at most, `create()` sweeps out expired sessions. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Sessions in memory, keyed by the SHA-256 of their token so the map never holds a usable
 * token. Tokens are 32 random bytes (base64url). A session lives `ttlMs` from login; it does not
 * slide. Expired sessions are refused on lookup and swept out on later logins, so no timer is
 * needed (nothing to stop). Sessions do not survive a restart.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #clock: Clock;
  #lastSweep = 0;

  constructor(options: { ttlMs: number; clock: Clock }) {
    if (!(options.ttlMs > 0)) throw new RangeError(`session ttl must be positive, got ${options.ttlMs}`);
    this.#ttlMs = options.ttlMs;
    this.#clock = options.clock;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Live and not yet swept sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Opens a session; returns its token (the only copy) and the session. */
  create(user: { username: string; role: Role }): { token: string; session: Session } {
    const now = this.#clock.now();
    if (now - this.#lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    const token = randomBytes(32).toString('base64url');
    const session: Session = {
      username: user.username,
      role: user.role,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    this.#sessions.set(digest(token), session);
    return { token, session };
  }

  /** The session for a token, or undefined when unknown or expired. */
  get(token: string): Session | undefined {
    if (!token) return undefined;
    const key = digest(token);
    const session = this.#sessions.get(key);
    if (!session) return undefined;
    if (this.#clock.now() >= session.expiresAt) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends a session. Returns whether there was a live one. */
  delete(token: string): boolean {
    return this.#sessions.delete(digest(token));
  }

  /** Ends every session of a user (after a password change or removal). Returns how many. */
  deleteUser(username: string): number {
    let count = 0;
    for (const [key, session] of this.#sessions)
      if (session.username === username) {
        this.#sessions.delete(key);
        count++;
      }
    return count;
  }

  /** Drops expired sessions. */
  sweep(now = this.#clock.now()): void {
    this.#lastSweep = now;
    for (const [key, session] of this.#sessions) if (now >= session.expiresAt) this.#sessions.delete(key);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
