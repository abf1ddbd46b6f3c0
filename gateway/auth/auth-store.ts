import type { Role } from '../../dashboard/config.ts';
import { openDatabase, type SqliteDatabase } from '../store/index.ts';

/** A user an administrator made (config users and `admin` are not stored here). */
export interface StoredUser {
  username: string;
  role: Role;
  /** `scrypt$…` */
  passwordHash: string;
  disabled: boolean;
  /** epoch ms */
  createdAt: number;
  createdBy: string;
  /** epoch ms of the last change (disable, enable, password reset) */
  updatedAt: number;
}

/** One line of the audit log. */
export interface AuditEntry {
  /** epoch ms */
  ts: number;
  /** Who did it (for a failed login: the username tried). */
  username: string;
  /** `login`, `login.failed`, `logout`, `alert.ack`, `alert.resolve`, `user.create`, … */
  action: string;
  /** What it was done to: an alert id, a username; null when nothing. */
  target: string | null;
  /** The client address. */
  address: string | null;
  /** A note, a reason. */
  detail: string | null;
}

interface UserRow {
  username: string;
  role: Role;
  password_hash: string;
  disabled: number;
  created_at: number;
  created_by: string;
  updated_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  username TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  address TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
`;

const toUser = (r: UserRow): StoredUser => ({
  username: r.username,
  role: r.role,
  passwordHash: r.password_hash,
  disabled: r.disabled !== 0,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
});

/** Users an administrator manages, hashed, in SQLite. */
export class UserStore {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  get(username: string): StoredUser | undefined {
    const row = this.#db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
      UserRow | undefined;
    return row && toUser(row);
  }

  list(): StoredUser[] {
    return (this.#db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(toUser);
  }

  /** False when the username is taken. */
  insert(user: StoredUser): boolean {
    const result = this.#db
      .prepare(
        `INSERT OR IGNORE INTO users (username, role, password_hash, disabled, created_at, created_by, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        user.username,
        user.role,
        user.passwordHash,
        user.disabled ? 1 : 0,
        user.createdAt,
        user.createdBy,
        user.updatedAt,
      );
    return result.changes === 1;
  }

  setDisabled(username: string, disabled: boolean, now: number): boolean {
    return (
      this.#db
        .prepare('UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?')
        .run(disabled ? 1 : 0, now, username).changes === 1
    );
  }

  setRole(username: string, role: Role, now: number): boolean {
    return (
      this.#db
        .prepare('UPDATE users SET role = ?, updated_at = ? WHERE username = ?')
        .run(role, now, username).changes === 1
    );
  }

  setPasswordHash(username: string, passwordHash: string, now: number): boolean {
    return (
      this.#db
        .prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?')
        .run(passwordHash, now, username).changes === 1
    );
  }
}

/** Who did what when, from where. Append-only. */
export class AuditLog {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  record(entry: AuditEntry): void {
    this.#db
      .prepare('INSERT INTO audit (ts, username, action, target, address, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(entry.ts, entry.username, entry.action, entry.target, entry.address, entry.detail);
  }

  /** Deletes up to `limit` entries older than `before`, oldest first; returns how many. */
  pruneBefore(before: number, limit: number): number {
    return this.#db
      .prepare('DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE ts < ? ORDER BY ts LIMIT ?)')
      .run(before, limit).changes;
  }

  /** Newest first; `from` inclusive, `to` exclusive. */
  list(query: { limit: number; from?: number; to?: number }): AuditEntry[] {
    return this.#db
      .prepare(
        `SELECT ts, username, action, target, address, detail FROM audit
         WHERE ts >= ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?`,
      )
      .all(query.from ?? 0, query.to ?? Number.MAX_SAFE_INTEGER, query.limit) as AuditEntry[];
  }
}

/** The users and the audit log, in one database. */
export interface AuthStore {
  users: UserStore;
  audit: AuditLog;
  close(): void;
}

/** Opens (creating it) the auth database: `<dataDir>/auth.db`, or `:memory:` for tests. */
export function openAuthStore(path: string): AuthStore {
  const db = openDatabase(path);
  db.exec(SCHEMA);
  return { users: new UserStore(db), audit: new AuditLog(db), close: () => db.close() };
}
