import type { Clock } from '../gateway/clock.ts';
import { GatewayError } from '../gateway/errors.ts';
import type { DeviceEvent } from '../gateway/types.ts';
import type { AckLinks } from './ack-link.ts';
import type { AlertBook } from './alert-book.ts';
import { availability, computeKpi, type Kpi } from './kpi.ts';
import { acknowledge, resolve, type Alert, type AlertChange, type HistoryEntry } from './lifecycle.ts';
import type { RecentEvents } from './recent-events.ts';
import type { Rule } from './schema/rule.ts';
import type { AlertService, Delivery } from './service.ts';
import type { AlertSnapshots } from './snapshots.ts';
import type { AlertQuery, AlertStore } from './store/alert-store.ts';
import type { OutboxStore } from './store/outbox-store.ts';

export interface AlertQueriesDeps {
  store: AlertStore;
  outbox: OutboxStore;
  book: AlertBook;
  links: AckLinks;
  snapshots: AlertSnapshots;
  events: RecentEvents;
  clock: Clock;
}

/** The notes people type are kept short: they are history, not a ticket system. */
const NOTE_MAX = 1000;

/**
 * What the HTTP API asks of the alert engine: reads from the alert database, and the person-made
 * transitions (acknowledge, resolve) through the same state machine and bookkeeping as the
 * engine's own.
 */
export abstract class AlertQueries implements AlertService {
  protected readonly store: AlertStore;
  protected readonly book: AlertBook;
  protected readonly snapshots: AlertSnapshots;
  protected readonly recent: RecentEvents;
  readonly #d: AlertQueriesDeps;

  constructor(deps: AlertQueriesDeps) {
    this.#d = deps;
    this.store = deps.store;
    this.book = deps.book;
    this.snapshots = deps.snapshots;
    this.recent = deps.events;
  }

  abstract rules(): readonly Rule[];

  /** The rule's notification settings, when the rule still exists. */
  protected ruleOf(id: string): Rule | undefined {
    return this.rules().find((r) => r.id === id);
  }

  list(query: AlertQuery = {}): Alert[] {
    return this.store.list(query).map((a) => this.book.get(a.id) ?? a);
  }

  get(id: string): Alert | undefined {
    return this.book.get(id);
  }

  history(id: string): HistoryEntry[] {
    return this.store.history(id);
  }

  deliveries(id: string): Delivery[] {
    return this.#d.outbox.forAlert(id).map((e) => ({
      channel: e.channel,
      event: e.event,
      state: e.state,
      attempts: e.attempts,
      createdAt: e.createdAt,
      sentAt: e.sentAt,
      lastError: e.lastError,
    }));
  }

  acknowledge(id: string, by: string, note: string | null = null): Alert {
    return this.#person(id, (a, now) => acknowledge(a, by, cleanNote(note), now));
  }

  resolve(id: string, by: string, note: string | null = null): Alert {
    return this.#person(id, (a, now) => resolve(a, by, cleanNote(note), now));
  }

  checkAckLink(id: string, token: string): { alert: Alert; channel: string } {
    const claim = this.#d.links.verify(id, token, this.#d.clock.now());
    return { alert: this.#alertOr404(id), channel: claim.channel };
  }

  acknowledgeByLink(id: string, token: string): Alert {
    const { channel } = this.checkAckLink(id, token);
    return this.acknowledge(id, `link:${channel}`, null);
  }

  snapshot(id: string, camera?: string): { camera: string; jpeg: Buffer } | undefined {
    const alert = this.book.get(id);
    if (!alert) return undefined;
    const cameras = camera ? alert.snapshots.filter((c) => c === camera) : alert.snapshots;
    for (const c of cameras) {
      const jpeg = this.snapshots.read(alert.id, c);
      if (jpeg) return { camera: c, jpeg };
    }
    return undefined;
  }

  kpi(from: number, to: number): Kpi {
    const alerts = this.store.list({ from, to }).map((a) => this.book.get(a.id) ?? a);
    const devices = this.devicesForKpi();
    return computeKpi(alerts, availability(devices, this.store.statusChanges(from, to), from, to), from, to);
  }

  events(filter: { device?: string; type?: string; limit?: number } = {}): DeviceEvent[] {
    return this.recent.list(filter);
  }

  onChange(listener: (alert: Alert) => void): () => void {
    return this.book.onChange(listener);
  }

  protected abstract devicesForKpi(): Array<{ id: string; kind: Alert['kind'] }>;

  #alertOr404(id: string): Alert {
    const alert = this.book.get(id);
    if (!alert) throw new GatewayError('CGW_NOT_FOUND', `no alert "${id}"`, { context: { id } });
    return alert;
  }

  #person(id: string, step: (alert: Alert, now: number) => AlertChange): Alert {
    const alert = this.#alertOr404(id);
    const change = step(alert, this.#d.clock.now());
    const rule = this.ruleOf(alert.rule);
    return this.book.apply(change, rule, alert.snapshots.length > 0);
  }
}

function cleanNote(note: string | null): string | null {
  const trimmed = note?.trim();
  return trimmed ? trimmed.slice(0, NOTE_MAX) : null;
}
