import type { Clock } from '../gateway/clock.ts';
import type { Logger } from '../gateway/log.ts';
import { runNow, type DeferWork, type SeriesStore } from '../gateway/store/series-store.ts';
import type { Scalar } from '../gateway/types.ts';
import type { Alert, AlertChange } from './lifecycle.ts';
import { isOpen } from './lifecycle.ts';
import type { Notifier } from './notify/notifier.ts';
import type { OutboxWorker } from './notify/outbox-worker.ts';
import type { Rule } from './schema/rule.ts';
import type { AlertStore } from './store/alert-store.ts';
import type { OutboxStore } from './store/outbox-store.ts';

export interface AlertBookOptions {
  store: AlertStore;
  outbox: OutboxStore;
  notifier: Notifier;
  worker: OutboxWorker;
  series: SeriesStore;
  log: Logger;
  clock: Clock;
  /** Runs what follows a committed change (series, log, listeners): the gateway's alarms-first lane. */
  defer?: DeferWork;
}

/** How often a moving value of an open alert is written back (it is kept in memory meanwhile). */
const VALUE_PERSIST_MS = 5000;

/** What the notifier needs of a rule; a rule removed by a reload gets these defaults. */
export type RuleNotifySettings = Pick<Rule, 'escalateTo' | 'flapWindowMs'>;
const REMOVED_RULE: RuleNotifySettings = { escalateTo: null, flapWindowMs: 0 };

export const alertKey = (rule: string, device: string): string => `${rule}\u0000${device}`;

/**
 * The alerts as they stand: the newest alert of every rule and device in memory (the engine
 * decides against it on every firing), every change committed with its history and its
 * notifications in one transaction, written to the `alerts` series and logged once.
 */
export class AlertBook {
  readonly #o: AlertBookOptions;
  readonly #latest = new Map<string, Alert>();
  readonly #byId = new Map<string, Alert>();
  readonly #valueSavedAt = new Map<string, number>();
  readonly #listeners = new Set<(alert: Alert) => void>();
  readonly #defer: DeferWork;

  constructor(options: AlertBookOptions) {
    this.#o = options;
    this.#defer = options.defer ?? runNow;
  }

  /**
   * Calls `listener` after every committed change of an alert (fired, re-opened, acknowledged,
   * resolved, escalated, snapshots added), with the alert as it now stands. Returns the
   * unsubscribe. A listener that throws is ignored: it must not undo a committed change.
   */
  onChange(listener: (alert: Alert) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  load(): void {
    for (const alert of this.#o.store.latest()) this.#remember(alert);
  }

  latestFor(rule: string, device: string): Alert | undefined {
    return this.#latest.get(alertKey(rule, device));
  }

  get(id: string): Alert | undefined {
    return this.#byId.get(id) ?? this.#o.store.get(id);
  }

  open(): Alert[] {
    return [...this.#latest.values()].filter(isOpen);
  }

  /** Commits one state-machine step: alert, history, notifications; then series and log. */
  apply(change: AlertChange, rule: RuleNotifySettings | undefined, hasCameras: boolean): Alert {
    const { alert } = change;
    const now = this.#o.clock.now();
    const { store } = this.#o;
    store.transaction(() => {
      store.save(alert);
      if (change.history) store.addHistory(change.history);
      if (change.cancelResolvedNotice) this.#o.outbox.cancelResolved(alert.id);
      if (change.notify) {
        const queued = this.#o.outbox.enqueue(
          this.#o.notifier.entries(alert, change.notify, rule ?? REMOVED_RULE, now, hasCameras),
        );
        // Sent as soon as the change (and the rule state with it) is committed, before anything else.
        if (queued.length) store.afterCommit(() => this.#o.worker.offer(queued), true);
      }
      // What follows a committed change waits until the alert is on its way (behind its write).
      store.afterCommit(() => this.#defer(() => this.#afterChange(change, now)));
    });
    this.#remember(alert);
    this.#valueSavedAt.set(alert.id, now);
    return alert;
  }

  #afterChange(change: AlertChange, now: number): void {
    const { alert } = change;
    if (change.history) {
      this.#o.series.write([
        {
          measurement: 'alerts',
          tags: { site: alert.site, device: alert.device, rule: alert.rule, severity: alert.severity },
          fields: { state: alert.state, count: alert.count, alert_id: alert.id },
          ts: now,
        },
      ]);
      this.#logChange(change);
    }
    this.#changed(alert);
  }

  /** An open alert's value moved: kept in memory, written back at most every few seconds. */
  updateValue(alert: Alert, value: Scalar | null): void {
    if (!isOpen(alert) || value === alert.value) return;
    const next = { ...alert, value };
    this.#remember(next);
    const now = this.#o.clock.now();
    if (now - (this.#valueSavedAt.get(alert.id) ?? 0) >= VALUE_PERSIST_MS) {
      this.#o.store.save(next);
      this.#valueSavedAt.set(alert.id, now);
    }
  }

  /** Snapshots stored for an alert (no notification: the alert already went out). */
  addSnapshots(id: string, cameras: string[]): void {
    const alert = this.get(id);
    if (!alert || !cameras.length) return;
    const next = { ...alert, snapshots: [...new Set([...alert.snapshots, ...cameras])] };
    this.#o.store.save(next);
    this.#remember(next);
    this.#changed(next);
  }

  /** Writes back values still only in memory (on stop). */
  flushValues(): void {
    for (const alert of this.#latest.values()) if (isOpen(alert)) this.#o.store.save(alert);
  }

  #changed(alert: Alert): void {
    for (const listener of this.#listeners) {
      try {
        listener(alert);
      } catch (err) {
        this.#o.log.error({ err, alert: alert.id }, 'alert change listener failed');
      }
    }
  }

  #remember(alert: Alert): void {
    const key = alertKey(alert.rule, alert.device);
    const current = this.#latest.get(key);
    if (current && current.id !== alert.id && current.startedAt > alert.startedAt) return;
    if (current && current.id !== alert.id) this.#byId.delete(current.id);
    this.#latest.set(key, alert);
    this.#byId.set(alert.id, alert);
  }

  #logChange(change: AlertChange): void {
    const a = change.alert;
    const ctx = { alert: a.id, rule: a.rule, device: a.device, severity: a.severity };
    const what = `alert ${a.id} (${a.rule} on ${a.device})`;
    switch (change.history?.action) {
      case 'fired':
        return this.#o.log.info(ctx, `${what} fired: ${a.severity}, team ${a.team}`);
      case 'reopened':
        // The first re-opening says the condition flaps; the following ones are repetitions.
        if (a.count === 2) this.#o.log.info(ctx, `${what} flapping: re-opened, notifications held back`);
        else this.#o.log.debug(ctx, `${what} re-opened (×${a.count})`);
        return;
      case 'resolved':
        if (a.resolvedBy === null && a.count > 1) return this.#o.log.debug(ctx, `${what} cleared`);
        return this.#o.log.info(ctx, `${what} resolved${a.resolvedBy === null ? ': condition cleared' : ''}`);
      case 'acknowledged':
        return this.#o.log.info(ctx, `${what} acknowledged`);
      case 'escalated':
        return this.#o.log.warn(ctx, `${what} escalated: not acknowledged in time`);
    }
  }
}
