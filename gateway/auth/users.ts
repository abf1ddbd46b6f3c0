import { ROLES, type HttpUser, type Role } from '../../dashboard/config.ts';
import type { Clock } from '../clock.ts';
import { GatewayError } from '../errors.ts';
import { generatePassword, hashPassword, isPasswordHash, verifyPassword } from './password.ts';
import type { StoredUser, UserStore } from './auth-store.ts';
import { SessionStore, type Session } from './sessions.ts';

export type { Session };

/** The built-in administrator's username. */
export const ADMIN_USERNAME = 'admin';

const WRONG_CREDENTIALS = 'wrong username or password';

/** True when `have` grants at least what `need` asks for (viewer < operator < admin). */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** A user who may log in to the dashboard and API. */
export interface AuthUser {
  username: string;
  role: Role;
  /** `scrypt$…`; the plain password is never kept. */
  passwordHash: string;
}

export interface AuthServiceOptions {
  /** Every user, the administrator included, each with a password hash. */
  users: readonly AuthUser[];
  /** How long a session lives from login. */
  sessionTtlMs: number;
  clock: Clock;
  /** Failed logins allowed per username and client address within `loginWindowMs`; default 10. */
  maxFailedLogins?: number;
  /** Default one minute. */
  loginWindowMs?: number;
  /** Users an administrator manages (`openAuthStore(…).users`); without it they cannot be made. */
  store?: UserStore;
}

/** A user as the admin's user list shows it. */
export interface UserInfo {
  username: string;
  role: Role;
  /** `builtin`: `admin`; `config`: `http.users` (both read-only); `managed`: made by an admin. */
  source: 'builtin' | 'config' | 'managed';
  disabled: boolean;
  createdAt: number | null;
  createdBy: string | null;
  updatedAt: number | null;
}

export interface AuthSetupOptions extends Omit<AuthServiceOptions, 'users'> {
  /** `config.http.users`. */
  users: readonly HttpUser[];
  /** The administrator's password, plain: `CGW_ADMIN_PASSWORD` as the caller read it. */
  adminPassword?: string;
  /**
   * A hash kept from an earlier start (see `AuthSetup.adminPasswordHash`), used when
   * `adminPassword` is absent, so a generated password stays valid across restarts.
   */
  adminPasswordHash?: string;
}

export interface AuthSetup {
  auth: AuthService;
  /**
   * Set only when neither a password nor a stored hash was given: the freshly generated admin
   * password. The caller prints it once and drops it; the service keeps only its hash.
   */
  generatedAdminPassword?: string;
  /** The administrator's hash, for a caller that wants to persist it. */
  adminPasswordHash: string;
}

/**
 * Builds the service from the config's users plus the built-in `admin`, hashing the admin's
 * password: the one given, else the stored hash, else a generated one (returned once, for the
 * caller to print).
 */
export async function setupAuth(options: AuthSetupOptions): Promise<AuthSetup> {
  const { users, adminPassword, adminPasswordHash: storedHash, ...rest } = options;
  if (users.some((u) => u.username === ADMIN_USERNAME))
    throw new GatewayError(
      'CGW_CONFIG_INVALID',
      `http.users: "${ADMIN_USERNAME}" is the built-in administrator; its password comes from CGW_ADMIN_PASSWORD`,
    );
  if (adminPassword === '')
    throw new GatewayError('CGW_CONFIG_INVALID', 'CGW_ADMIN_PASSWORD is set but empty');
  if (adminPassword === undefined && storedHash !== undefined && !isPasswordHash(storedHash))
    throw new GatewayError('CGW_CONFIG_INVALID', 'the stored admin password hash is not an scrypt hash');
  let generatedAdminPassword: string | undefined;
  let adminPasswordHash: string;
  if (adminPassword !== undefined) adminPasswordHash = await hashPassword(adminPassword);
  else if (storedHash !== undefined) adminPasswordHash = storedHash;
  else {
    generatedAdminPassword = generatePassword();
    adminPasswordHash = await hashPassword(generatedAdminPassword);
  }
  const auth = new AuthService({
    ...rest,
    users: [{ username: ADMIN_USERNAME, role: 'admin', passwordHash: adminPasswordHash }, ...users],
  });
  return generatedAdminPassword === undefined
    ? { auth, adminPasswordHash }
    : { auth, adminPasswordHash, generatedAdminPassword };
}

/**
 * Dashboard and API users, logins and sessions. Knows nothing of HTTP: the dashboard passes the
 * client address for rate limiting and the token it found in a cookie or header.
 */
export class AuthService {
  readonly #users = new Map<string, AuthUser>();
  readonly #sessions: SessionStore;
  readonly #failures: AttemptLimiter;
  readonly #clock: Clock;
  /** Verified against when the username is unknown, so both failures cost one scrypt run. */
  readonly #decoyHash: string;
  readonly #store: UserStore | undefined;

  constructor(options: AuthServiceOptions) {
    for (const user of options.users) {
      if (this.#users.has(user.username))
        throw new GatewayError('CGW_CONFIG_INVALID', `http user "${user.username}" is defined twice`);
      this.#users.set(user.username, { ...user });
    }
    const first = options.users[0];
    if (!first) throw new GatewayError('CGW_CONFIG_INVALID', 'no http users: the administrator is missing');
    this.#decoyHash = first.passwordHash;
    this.#clock = options.clock;
    this.#sessions = new SessionStore({ ttlMs: options.sessionTtlMs, clock: options.clock });
    this.#failures = new AttemptLimiter(options.maxFailedLogins ?? 10, options.loginWindowMs ?? 60_000);
    this.#store = options.store;
  }

  get sessionTtlMs(): number {
    return this.#sessions.ttlMs;
  }

  /**
   * Checks the credentials and opens a session. Throws `CGW_UNAUTHORIZED` with one message for an
   * unknown user and a wrong password (both cost one scrypt run), and `CGW_RATE_LIMITED` (context
   * `retryAfterMs`) once `maxFailedLogins` attempts from this address for this username failed
   * within the window. Attempts count while they run, so parallel guesses cannot overshoot.
   */
  async login(
    username: string,
    password: string,
    clientAddress: string,
  ): Promise<{ token: string; session: Session }> {
    const key = `${username}\u0000${clientAddress}`;
    const retryAfterMs = this.#failures.take(key, this.#clock.now());
    if (retryAfterMs !== undefined)
      throw new GatewayError(
        'CGW_RATE_LIMITED',
        `too many failed logins; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
        { context: { retryAfterMs } },
      );
    const user = this.#users.get(username) ?? this.#store?.get(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? this.#decoyHash);
    if (!user || !ok) throw new GatewayError('CGW_UNAUTHORIZED', WRONG_CREDENTIALS);
    // Only someone who knows the password learns that the account is disabled.
    if ('disabled' in user && user.disabled)
      throw new GatewayError('CGW_UNAUTHORIZED', 'this account is disabled: ask an administrator');
    this.#failures.reset(key);
    return this.#sessions.create(user);
  }

  /** Every user: `admin`, the config's (read-only), then those an admin made. */
  listUsers(): UserInfo[] {
    const fixed = [...this.#users.values()].map((u): UserInfo => ({
      username: u.username,
      role: u.role,
      source: u.username === ADMIN_USERNAME ? 'builtin' : 'config',
      disabled: false,
      createdAt: null,
      createdBy: null,
      updatedAt: null,
    }));
    const managed = (this.#store?.list() ?? []).map(({ passwordHash: _hash, ...u }): UserInfo => ({
      ...u,
      source: 'managed',
    }));
    return [...fixed, ...managed];
  }

  /** Makes a user (`CGW_CONFLICT` when the name is taken). */
  async createUser(input: { username: string; role: Role; password: string }, by: string): Promise<UserInfo> {
    const store = this.#managedStore();
    if (this.#users.has(input.username) || store.get(input.username))
      throw new GatewayError('CGW_CONFLICT', `user "${input.username}" exists`);
    const now = this.#clock.now();
    const user: StoredUser = {
      username: input.username,
      role: input.role,
      passwordHash: await hashPassword(input.password),
      disabled: false,
      createdAt: now,
      createdBy: by,
      updatedAt: now,
    };
    if (!store.insert(user)) throw new GatewayError('CGW_CONFLICT', `user "${input.username}" exists`);
    const { passwordHash: _hash, ...info } = user;
    return { ...info, source: 'managed' };
  }

  /** Disables (ending every session of the user) or enables a managed user. */
  setDisabled(username: string, disabled: boolean): UserInfo {
    const store = this.#managedStore();
    this.#managedUser(username);
    store.setDisabled(username, disabled, this.#clock.now());
    if (disabled) this.#sessions.deleteUser(username);
    return this.#info(username);
  }

  /**
   * Gives a managed user another role. Their sessions end: a session carries the role it was
   * opened with, and a lowered role must hold at once.
   */
  setRole(username: string, role: Role): { user: UserInfo; was: Role } {
    const store = this.#managedStore();
    const was = this.#managedUser(username).role;
    store.setRole(username, role, this.#clock.now());
    this.#sessions.deleteUser(username);
    return { user: this.#info(username), was };
  }

  /** Sets a managed user's password; their sessions end (they log in with the new one). */
  async resetPassword(username: string, password: string): Promise<UserInfo> {
    const store = this.#managedStore();
    this.#managedUser(username);
    store.setPasswordHash(username, await hashPassword(password), this.#clock.now());
    this.#sessions.deleteUser(username);
    return this.#info(username);
  }

  #managedStore(): UserStore {
    if (!this.#store)
      throw new GatewayError('CGW_STORE_UNAVAILABLE', 'user management needs the data directory');
    return this.#store;
  }

  #managedUser(username: string): StoredUser {
    if (this.#users.has(username))
      throw new GatewayError(
        'CGW_CONFLICT',
        username === ADMIN_USERNAME
          ? `"${ADMIN_USERNAME}" is built in: its password comes from CGW_ADMIN_PASSWORD`
          : `"${username}" comes from the config file (http.users): change it there`,
      );
    const user = this.#store?.get(username);
    if (!user) throw new GatewayError('CGW_NOT_FOUND', `no user "${username}"`);
    return user;
  }

  #info(username: string): UserInfo {
    return this.listUsers().find((u) => u.username === username)!;
  }

  /** The live session for a token, or undefined. */
  authenticate(token: string | undefined): Session | undefined {
    return token ? this.#sessions.get(token) : undefined;
  }

  /** Ends a session; true when there was one. */
  logout(token: string): boolean {
    return this.#sessions.delete(token);
  }
}

/**
 * Counts attempts per key in a sliding window. An attempt is counted when it starts; a success
 * clears the key. Memory stays bounded: stale keys are evicted when the map grows.
 */
class AttemptLimiter {
  readonly #attempts = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;

  constructor(max: number, windowMs: number) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** Counts one attempt; returns undefined when allowed, else the ms until the next one is. */
  take(key: string, now: number): number | undefined {
    const recent = (this.#attempts.get(key) ?? []).filter((t) => now - t < this.#windowMs);
    if (recent.length >= this.#max) {
      this.#attempts.set(key, recent);
      return recent[0]! + this.#windowMs - now;
    }
    recent.push(now);
    this.#attempts.set(key, recent);
    if (this.#attempts.size > 10_000) this.#evict(now);
    return undefined;
  }

  reset(key: string): void {
    this.#attempts.delete(key);
  }

  #evict(now: number): void {
    for (const [key, times] of this.#attempts)
      if (now - times[times.length - 1]! >= this.#windowMs) this.#attempts.delete(key);
    // Still huge (a spray of usernames): forget the oldest keys rather than grow without end.
    for (const key of this.#attempts.keys()) {
      if (this.#attempts.size <= 50_000) break;
      this.#attempts.delete(key);
    }
  }
}
