import type { NotifyEvent } from '../schema/notify.ts';
import type { SqliteDatabase, Statement } from './database.ts';

export type OutboxState = 'pending' | 'sent' | 'dead' | 'cancelled' | 'suppressed';

/** One notification of one alert transition to one channel. */
export interface OutboxEntry {
  id: number;
  alertId: string;
  /** The alert's `seq` at the transition: (alertId, seq, channel) is sent at most once. */
  seq: number;
  event: NotifyEvent;
  channel: string;
  /** What the channel sends, rendered when the transition happened (JSON text). */
  payload: string;
  state: OutboxState;
  createdAt: number;
  /** Not sent before this (a held-back "resolved" waits out the flap window). */
  notBefore: number;
  /** The next attempt after a failure. */
  nextAt: number;
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
}

export type NewOutboxEntry = Pick<
  OutboxEntry,
  'alertId' | 'seq' | 'event' | 'channel' | 'payload' | 'state' | 'createdAt' | 'notBefore'
>;

interface Row {
  id: number;
  alert_id: string;
  seq: number;
  event: NotifyEvent;
  channel: string;
  payload: string;
  state: OutboxState;
  created_at: number;
  not_before: number;
  next_at: number;
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
}

const toEntry = (r: Row): OutboxEntry => ({
  id: r.id,
  alertId: r.alert_id,
  seq: r.seq,
  event: r.event,
  channel: r.channel,
  payload: r.payload,
  state: r.state,
  createdAt: r.created_at,
  notBefore: r.not_before,
  nextAt: r.next_at,
  attempts: r.attempts,
  lastError: r.last_error,
  sentAt: r.sent_at,
});

/** The durable notification queue (the `outbox` table of the alert database). */
export class OutboxStore {
  readonly #sql: Record<string, Statement>;

  constructor(db: SqliteDatabase) {
    this.#sql = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO outbox (alert_id, seq, event, channel, payload, state, created_at, not_before, next_at)
         VALUES (@alertId, @seq, @event, @channel, @payload, @state, @createdAt, @notBefore, @notBefore)`,
      ),
      cancel: db.prepare(
        `UPDATE outbox SET state = 'cancelled' WHERE alert_id = ? AND event = 'resolved' AND state = 'pending'`,
      ),
      channels: db.prepare(`SELECT DISTINCT channel FROM outbox WHERE state = 'pending'`),
      head: db.prepare(
        `SELECT * FROM outbox WHERE state = 'pending' AND channel = ? AND not_before <= ? ORDER BY id LIMIT 1`,
      ),
      nextDeferred: db.prepare(
        `SELECT min(not_before) AS t FROM outbox WHERE state = 'pending' AND not_before > ?`,
      ),
      sent: db.prepare(`UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?`),
      retry: db.prepare(
        `UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`,
      ),
      dead: db.prepare(
        `UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?`,
      ),
      pendingBefore: db.prepare(
        `SELECT 1 FROM outbox WHERE state = 'pending' AND channel = ? AND not_before <= ? AND id < ? LIMIT 1`,
      ),
      forAlert: db.prepare(`SELECT * FROM outbox WHERE alert_id = ? ORDER BY id`),
      counts: db.prepare(`SELECT state, count(*) AS n FROM outbox GROUP BY state`),
    };
  }

  /**
   * Adds entries and returns those added, as stored; one already queued for the same (alert, seq,
   * channel) is left as it is (and not returned).
   */
  enqueue(entries: readonly NewOutboxEntry[]): OutboxEntry[] {
    const added: OutboxEntry[] = [];
    for (const e of entries) {
      const { changes, lastInsertRowid } = this.#sql.insert!.run(e);
      if (changes)
        added.push({
          ...e,
          id: Number(lastInsertRowid),
          nextAt: e.notBefore,
          attempts: 0,
          lastError: null,
          sentAt: null,
        });
    }
    return added;
  }

  /**
   * True when an older entry than `id` that may go by `now` is still pending on `channel`: `id`
   * has to wait for it (as `head` orders them; a held-back entry blocks nothing).
   */
  hasPendingBefore(channel: string, id: number, now: number): boolean {
    return this.#sql.pendingBefore!.get(channel, now, id) !== undefined;
  }

  /** Voids a held-back "resolved" notice: the alert fired again within its flap window. */
  cancelResolved(alertId: string): number {
    return this.#sql.cancel!.run(alertId).changes;
  }

  pendingChannels(): string[] {
    return (this.#sql.channels!.all() as Array<{ channel: string }>).map((r) => r.channel);
  }

  /** The channel's oldest pending entry that may go now: later ones wait behind it, in order. */
  head(channel: string, now: number): OutboxEntry | undefined {
    const row = this.#sql.head!.get(channel, now) as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** The earliest time a held-back entry becomes sendable, after `now`. */
  nextDeferred(now: number): number | undefined {
    const row = this.#sql.nextDeferred!.get(now) as { t: number | null };
    return row.t ?? undefined;
  }

  markSent(id: number, now: number): void {
    this.#sql.sent!.run(now, id);
  }

  markRetry(id: number, nextAt: number, error: string): void {
    this.#sql.retry!.run(nextAt, error.slice(0, 500), id);
  }

  markDead(id: number, error: string): void {
    this.#sql.dead!.run(error.slice(0, 500), id);
  }

  forAlert(alertId: string): OutboxEntry[] {
    return (this.#sql.forAlert!.all(alertId) as Row[]).map(toEntry);
  }

  counts(): Record<OutboxState, number> {
    const out: Record<OutboxState, number> = { pending: 0, sent: 0, dead: 0, cancelled: 0, suppressed: 0 };
    for (const r of this.#sql.counts!.all() as Array<{ state: OutboxState; n: number }>) out[r.state] = r.n;
    return out;
  }
}
