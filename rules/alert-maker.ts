import type { AlertBook } from './alert-book.ts';
import type { EngineDevice } from './compile.ts';
import type { Transition } from './evaluate.ts';
import { clear, fire, type Alert } from './lifecycle.ts';
import { renderMessage } from './render.ts';
import type { Rule } from './schema/rule.ts';
import type { AlertSnapshots } from './snapshots.ts';
import { randomFillSync } from 'node:crypto';

/**
 * Where an evaluator transition becomes an alert change: fire (open, repeat or re-open), clear,
 * value. A newly opened alert gets its snapshots taken and its escalation scheduled.
 */
export class AlertMaker {
  readonly #book: AlertBook;
  readonly #snapshots: AlertSnapshots;
  readonly #onOpened: (alert: Alert, rule: Rule) => void;
  #closed = false;

  constructor(deps: {
    book: AlertBook;
    snapshots: AlertSnapshots;
    onOpened: (alert: Alert, rule: Rule) => void;
  }) {
    this.#book = deps.book;
    this.#snapshots = deps.snapshots;
    this.#onOpened = deps.onOpened;
  }

  /** Late snapshots are not recorded any more (the database is closing). */
  close(): void {
    this.#closed = true;
  }

  apply(rule: Rule, device: EngineDevice, t: Transition, now: number): void {
    const latest = this.#book.latestFor(rule.id, device.id);
    if (t.type === 'value') {
      if (latest) this.#book.updateValue(latest, t.value);
      return;
    }
    if (t.type === 'clear') {
      const change = latest && clear(latest, t.value, now);
      if (change) this.#book.apply(change, rule, device.cameras.length > 0);
      return;
    }
    const message = renderMessage(rule.message, {
      ...device,
      device: device.id,
      rule: rule.id,
      severity: rule.severity,
      team: rule.team,
      field: t.field,
      value: t.value,
    });
    const change = fire(latest, t, { rule, device, now, message, newId: () => newAlertId(now) });
    const hasCameras = rule.snapshot && device.cameras.length > 0 && this.#snapshots.enabled;
    const alert = this.#book.apply(change, rule, hasCameras);
    // A re-opened alert may be past its escalation time: it escalates if still unacknowledged.
    if (change.notify === 'fired' || change.history?.action === 'reopened') this.#onOpened(alert, rule);
    if (change.notify === 'fired' && hasCameras)
      void this.#snapshots.take(alert.id, device.cameras).then((taken) => {
        if (!this.#closed) this.#book.addSnapshots(alert.id, taken);
      });
  }
}

/** Random bytes for ids, drawn 4,096 at a time (one call per alert cost more than the id). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** Sortable by time, unguessable enough, safe in a URL and a file name. */
function newAlertId(now: number): string {
  if (poolAt + 4 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += 4;
  return `${now.toString(36)}-${pool.toString('hex', poolAt - 4, poolAt)}`;
}
