import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../gateway/store/index.ts';

export type { SqliteDatabase };
declare const _db: SqliteDatabase;
/** A prepared statement with positional or named parameters (better-sqlite3's type, not its import). */
export type Statement = ReturnType<typeof _db.prepare<unknown[]>>;

/**
 * Alerts keep their whole record as JSON in `body` (it is read and written whole) beside the
 * columns queries filter and sort on. `rule_state` holds pending `for` timers and on/off states,
 * `outbox` the notifications not yet delivered, `device_status` online/offline changes for the
 * availability KPI. One file, so an alert change and its notifications commit together.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  device TEXT NOT NULL,
  state TEXT NOT NULL,
  team TEXT NOT NULL,
  severity TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_rule_device ON alerts (rule, device, started_at);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state, started_at);
CREATE INDEX IF NOT EXISTS alerts_started ON alerts (started_at);
CREATE TABLE IF NOT EXISTS alert_history (
  id INTEGER PRIMARY KEY,
  alert_id TEXT NOT NULL REFERENCES alerts (id),
  ts INTEGER NOT NULL,
  action TEXT NOT NULL,
  by TEXT,
  note TEXT
);
CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history (alert_id, id);
CREATE TABLE IF NOT EXISTS rule_state (
  rule TEXT NOT NULL,
  device TEXT NOT NULL,
  hash TEXT NOT NULL,
  state TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (rule, device)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_status (
  device TEXT NOT NULL,
  ts INTEGER NOT NULL,
  online INTEGER NOT NULL,
  PRIMARY KEY (device, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  alert_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  channel TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  not_before INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  sent_at INTEGER,
  UNIQUE (alert_id, seq, channel)
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, channel, id);
PRAGMA user_version = 1;
`;

/** Opens (creating) `<dataDir>/alerts.db` through the storage module. */
export function openAlertDatabase(dataDir: string): SqliteDatabase {
  const db = openDatabase(join(dataDir, 'alerts.db'));
  db.exec(SCHEMA);
  return db;
}
