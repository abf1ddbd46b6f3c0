import type { DeviceEvent } from '../gateway/types.ts';
import type { Kpi } from './kpi.ts';
import type { Alert, HistoryEntry } from './lifecycle.ts';
import type { Rule } from './schema/rule.ts';
import type { AlertQuery } from './store/alert-store.ts';
import type { OutboxState } from './store/outbox-store.ts';

/** One notification of an alert, as the API shows it. */
export interface Delivery {
  channel: string;
  event: string;
  state: OutboxState;
  attempts: number;
  createdAt: number;
  sentAt: number | null;
  lastError: string | null;
}

/** What `reload` says: the new set is running, or the old one still is, and why. */
export type ReloadResult =
  | { ok: true; rules: number; added: string[]; changed: string[]; removed: string[] }
  | { ok: false; problems: Array<{ path: string; message: string }> };

/**
 * The alert engine as the HTTP app sees it. Mutations throw coded errors: `CGW_NOT_FOUND`,
 * `CGW_RULE_ALERT_CONFLICT` (already acknowledged / resolved), `CGW_RULE_LINK_INVALID`.
 */
export interface AlertService {
  list(query?: AlertQuery): Alert[];
  get(id: string): Alert | undefined;
  history(id: string): HistoryEntry[];
  deliveries(id: string): Delivery[];
  acknowledge(id: string, by: string, note?: string | null): Alert;
  resolve(id: string, by: string, note?: string | null): Alert;
  /** Checks a signed link without using it (the confirmation page). */
  checkAckLink(id: string, token: string): { alert: Alert; channel: string };
  /** Acknowledges through a signed link, as `link:<channel>`. */
  acknowledgeByLink(id: string, token: string): Alert;
  /** A stored snapshot: the given camera's, else the first. */
  snapshot(id: string, camera?: string): { camera: string; jpeg: Buffer } | undefined;
  kpi(from: number, to: number): Kpi;
  events(filter?: { device?: string; type?: string; limit?: number }): DeviceEvent[];
  rules(): readonly Rule[];
  /**
   * Calls `listener` after every alert state change (fired, repeat, acknowledged, resolved,
   * escalated), with the alert as `list()` returns it. Returns the unsubscribe.
   */
  onChange(listener: (alert: Alert) => void): () => void;
}
