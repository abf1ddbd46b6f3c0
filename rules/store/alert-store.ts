import type { Alert, AlertState, HistoryEntry } from '../lifecycle.ts';
import type { SqliteDatabase, Statement } from './database.ts';

export interface AlertQuery {
  state?: AlertState | 'open';
  device?: string;
  rule?: string;
  /** startedAt at or after (epoch ms) */
  from?: number;
  /** startedAt before (epoch ms) */
  to?: number;
  limit?: number;
}

export interface PersistedRuleState {
  rule: string;
  device: string;
  hash: string;
  state: unknown;
}

/**
 * Alerts, their history, rule states and device online changes in the alert database. Every
 * method is synchronous (better-sqlite3); `transaction` groups several into one commit.
 */
export class AlertStore {
  readonly #db: SqliteDatabase;
  readonly #sql: Record<string, Statement>;
  readonly #inTransaction: <T>(fn: () => T) => T;
  readonly #urgent: Array<() => void> = [];
  readonly #later: Array<() => void> = [];

  constructor(db: SqliteDatabase) {
    this.#db = db;
    // Made once: better-sqlite3 builds five wrappers each time `transaction()` is called.
    const run = db.transaction((fn: () => unknown) => fn());
    this.#inTransaction = <T>(fn: () => T) => run(fn) as T;
    this.#sql = {
      upsert: db.prepare(
        `INSERT INTO alerts (id, rule, device, state, team, severity, started_at, body)
         VALUES (@id, @rule, @device, @state, @team, @severity, @startedAt, @body)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body`,
      ),
      get: db.prepare(`SELECT body FROM alerts WHERE id = ?`),
      latest: db.prepare(
        `SELECT body FROM alerts a WHERE started_at = (
           SELECT max(started_at) FROM alerts b WHERE b.rule = a.rule AND b.device = a.device)
         OR state != 'resolved'`,
      ),
      history: db.prepare(
        `SELECT alert_id, ts, action, by, note FROM alert_history WHERE alert_id = ? ORDER BY id`,
      ),
      addHistory: db.prepare(
        `INSERT INTO alert_history (alert_id, ts, action, by, note) VALUES (@alertId, @ts, @action, @by, @note)`,
      ),
      getState: db.prepare(`SELECT rule, device, hash, state FROM rule_state`),
      putState: db.prepare(
        `INSERT INTO rule_state (rule, device, hash, state, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (rule, device) DO UPDATE SET hash = excluded.hash, state = excluded.state,
         updated_at = excluded.updated_at`,
      ),
      dropStates: db.prepare(`DELETE FROM rule_state WHERE rule = ?`),
      addStatus: db.prepare(`INSERT OR REPLACE INTO device_status (device, ts, online) VALUES (?, ?, ?)`),
      statusBefore: db.prepare(
        `SELECT device, ts, online FROM device_status d WHERE ts = (
           SELECT max(ts) FROM device_status e WHERE e.device = d.device AND e.ts < ?)`,
      ),
      statusBetween: db.prepare(
        `SELECT device, ts, online FROM device_status WHERE ts >= ? AND ts < ? ORDER BY device, ts`,
      ),
    };
  }

  /**
   * Runs `fn` in one transaction. Inside one already (an alert change within the rule state's
   * commit), `fn` joins it: one commit, no savepoint; an error still undoes the whole of it.
   * Once it commits, the work queued with `afterCommit` runs: the urgent first, each kind in the
   * order it was queued.
   */
  transaction<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    let result: T;
    try {
      result = this.#inTransaction(fn);
    } catch (err) {
      // Rolled back: what was to follow it never happened.
      this.#urgent.length = 0;
      this.#later.length = 0;
      throw err;
    }
    this.#runAfterCommit();
    return result;
  }

  /**
   * Runs `work` once the transaction under way has committed (at once outside one); not at all if
   * it rolls back. `urgent` work (sending an alert) goes before the rest (series, logs, listeners),
   * however many changes the transaction holds.
   */
  afterCommit(work: () => void, urgent = false): void {
    if (!this.#db.inTransaction) return work();
    (urgent ? this.#urgent : this.#later).push(work);
  }

  #runAfterCommit(): void {
    let failed: { err: unknown } | undefined;
    while (this.#urgent.length || this.#later.length) {
      const work = (this.#urgent.length ? this.#urgent : this.#later).shift()!;
      try {
        work();
      } catch (err) {
        // The commit stands: the rest still runs, and the first error is the caller's to see.
        failed ??= { err };
      }
    }
    if (failed) throw failed.err;
  }

  save(alert: Alert): void {
    this.#sql.upsert!.run({
      id: alert.id,
      rule: alert.rule,
      device: alert.device,
      state: alert.state,
      team: alert.team,
      severity: alert.severity,
      startedAt: alert.startedAt,
      body: JSON.stringify(alert),
    });
  }

  get(id: string): Alert | undefined {
    const row = this.#sql.get!.get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Alert) : undefined;
  }

  /** The newest alert of every rule and device, and every open one: what the engine keeps at hand. */
  latest(): Alert[] {
    return (this.#sql.latest!.all() as Array<{ body: string }>).map((r) => JSON.parse(r.body) as Alert);
  }

  list(query: AlertQuery = {}): Alert[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    const add = (clause: string, value?: string | number): void => {
      where.push(clause);
      if (value !== undefined) args.push(value);
    };
    if (query.state === 'open') add(`state != 'resolved'`);
    else if (query.state) add('state = ?', query.state);
    if (query.device) add('device = ?', query.device);
    if (query.rule) add('rule = ?', query.rule);
    if (query.from !== undefined) add('started_at >= ?', query.from);
    if (query.to !== undefined) add('started_at < ?', query.to);
    const sql = `SELECT body FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY started_at DESC, id DESC ${query.limit ? `LIMIT ${Math.floor(query.limit)}` : ''}`;
    return (this.#db.prepare(sql).all(...args) as Array<{ body: string }>).map(
      (r) => JSON.parse(r.body) as Alert,
    );
  }

  addHistory(entry: HistoryEntry): void {
    this.#sql.addHistory!.run(entry);
  }

  history(alertId: string): HistoryEntry[] {
    const rows = this.#sql.history!.all(alertId) as Array<{
      alert_id: string;
      ts: number;
      action: HistoryEntry['action'];
      by: string | null;
      note: string | null;
    }>;
    return rows.map((r) => ({ alertId: r.alert_id, ts: r.ts, action: r.action, by: r.by, note: r.note }));
  }

  ruleStates(): PersistedRuleState[] {
    const rows = this.#sql.getState!.all() as Array<{
      rule: string;
      device: string;
      hash: string;
      state: string;
    }>;
    return rows.map((r) => ({ ...r, state: JSON.parse(r.state) as unknown }));
  }

  putRuleState(rule: string, device: string, hash: string, state: unknown, now: number): void {
    this.#sql.putState!.run(rule, device, hash, JSON.stringify(state), now);
  }

  dropRuleStates(rule: string): void {
    this.#sql.dropStates!.run(rule);
  }

  addStatus(device: string, ts: number, online: boolean): void {
    this.#sql.addStatus!.run(device, ts, online ? 1 : 0);
  }

  /** Online changes in [from, to), plus each device's last state before `from`. */
  statusChanges(from: number, to: number): Array<{ device: string; ts: number; online: boolean }> {
    type Row = { device: string; ts: number; online: number };
    const before = this.#sql.statusBefore!.all(from) as Row[];
    const during = this.#sql.statusBetween!.all(from, to) as Row[];
    return [...before, ...during].map((r) => ({ device: r.device, ts: r.ts, online: r.online === 1 }));
  }
}
