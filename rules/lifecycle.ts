import { GatewayError } from '../gateway/errors.ts';
import type { DeviceKind, Scalar } from '../gateway/types.ts';
import type { Transition, Trigger } from './evaluate.ts';
import type { NotifyEvent } from './schema/notify.ts';
import type { Rule, Severity } from './schema/rule.ts';

export const ALERT_STATES = ['active', 'acknowledged', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One alert: a rule firing on one device, from start to resolution. */
export interface Alert {
  id: string;
  rule: string;
  device: string;
  deviceName: string;
  site: string;
  kind: DeviceKind;
  severity: Severity;
  team: string;
  message: string;
  state: AlertState;
  startedAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
  resolvedAt: number | null;
  /** null when the condition cleared by itself. */
  resolvedBy: string | null;
  escalatedAt: number | null;
  field: string | null;
  /** The latest value while it is open. */
  value: Scalar | null;
  /** The input that made it fire. */
  trigger: Trigger;
  /** How often it fired while open or re-opened (repeats update, they do not duplicate). */
  count: number;
  lastFiredAt: number;
  /** Fired by an event: nothing clears it but a person. */
  manual: boolean;
  /** Camera ids with a snapshot stored for this alert. */
  snapshots: string[];
  /** Bumped at every change that is notified: (id, seq) names one transition exactly once. */
  seq: number;
}

export type HistoryAction = 'fired' | 'reopened' | 'acknowledged' | 'resolved' | 'escalated';

export interface HistoryEntry {
  alertId: string;
  ts: number;
  action: HistoryAction;
  /** The user (or `link:<channel>`); null for the gateway itself. */
  by: string | null;
  note: string | null;
}

/** What one step of the state machine did. */
export interface AlertChange {
  alert: Alert;
  history: HistoryEntry | null;
  /** The notification this change sends, if any. */
  notify: NotifyEvent | null;
  /** A held-back "resolved" notice of this alert is void (it fired again within the flap window). */
  cancelResolvedNotice: boolean;
}

export interface DeviceInfo {
  id: string;
  name: string;
  site: string;
  kind: DeviceKind;
}

export const isOpen = (a: Alert): boolean => a.state !== 'resolved';

const change = (
  alert: Alert,
  action: HistoryAction | null,
  now: number,
  notify: NotifyEvent | null,
  extra: { by?: string | null; note?: string | null; cancel?: boolean } = {},
): AlertChange => ({
  alert,
  history: action
    ? { alertId: alert.id, ts: now, action, by: extra.by ?? null, note: extra.note ?? null }
    : null,
  notify,
  cancelResolvedNotice: extra.cancel ?? false,
});

/**
 * The condition fired. `latest` is the newest alert of this rule on this device, if any:
 * - open: the same alert counts one more and takes the new value (no notification);
 * - resolved by itself within the rule's flap window: it re-opens, silently;
 * - otherwise a new alert opens (`newId()`), and that is notified.
 */
export function fire(
  latest: Alert | undefined,
  t: Extract<Transition, { type: 'fire' }>,
  ctx: { rule: Rule; device: DeviceInfo; now: number; message: string; newId: () => string },
): AlertChange {
  const { rule, device, now } = ctx;
  if (latest && isOpen(latest)) {
    const alert = {
      ...latest,
      count: latest.count + 1,
      lastFiredAt: now,
      value: t.value ?? latest.value,
      manual: latest.manual || t.manual,
    };
    return change(alert, null, now, null);
  }
  if (
    latest &&
    latest.resolvedBy === null &&
    latest.resolvedAt !== null &&
    // A window of 0 holds nothing back, not even a firing in the millisecond the alert cleared.
    rule.flapWindowMs > 0 &&
    now - latest.resolvedAt <= rule.flapWindowMs
  ) {
    const alert: Alert = {
      ...latest,
      state: latest.ackedAt !== null ? 'acknowledged' : 'active',
      resolvedAt: null,
      count: latest.count + 1,
      lastFiredAt: now,
      value: t.value ?? latest.value,
      manual: latest.manual || t.manual,
    };
    return change(alert, 'reopened', now, null, { note: 'fired again within the flap window', cancel: true });
  }
  const alert: Alert = {
    id: ctx.newId(),
    rule: rule.id,
    device: device.id,
    deviceName: device.name,
    site: device.site,
    kind: device.kind,
    severity: rule.severity,
    team: rule.team,
    message: ctx.message,
    state: 'active',
    startedAt: now,
    ackedAt: null,
    ackedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    escalatedAt: null,
    field: t.field,
    value: t.value,
    trigger: t.trigger,
    count: 1,
    lastFiredAt: now,
    manual: t.manual,
    snapshots: [],
    seq: 1,
  };
  return change(alert, 'fired', now, 'fired');
}

/** The condition cleared: an open alert that a condition (not an event) raised resolves itself. */
export function clear(alert: Alert, value: Scalar | null, now: number): AlertChange | null {
  if (!isOpen(alert) || alert.manual) return null;
  const next: Alert = {
    ...alert,
    state: 'resolved',
    resolvedAt: now,
    resolvedBy: null,
    value: value ?? alert.value,
    seq: alert.seq + 1,
  };
  return change(next, 'resolved', now, 'resolved', { note: 'condition cleared' });
}

export function acknowledge(alert: Alert, by: string, note: string | null, now: number): AlertChange {
  if (alert.state === 'acknowledged')
    throw conflict(alert, `already acknowledged${alert.ackedBy ? ` by ${alert.ackedBy}` : ''}`);
  if (alert.state === 'resolved') throw conflict(alert, 'already resolved');
  const next: Alert = { ...alert, state: 'acknowledged', ackedAt: now, ackedBy: by, seq: alert.seq + 1 };
  return change(next, 'acknowledged', now, 'acknowledged', { by, note });
}

export function resolve(alert: Alert, by: string, note: string | null, now: number): AlertChange {
  if (alert.state === 'resolved') throw conflict(alert, 'already resolved');
  const next: Alert = { ...alert, state: 'resolved', resolvedAt: now, resolvedBy: by, seq: alert.seq + 1 };
  return change(next, 'resolved', now, 'resolved', { by, note });
}

/** Nobody acknowledged in time: notify again (once), to the escalation team. */
export function escalate(alert: Alert, now: number): AlertChange | null {
  if (alert.state !== 'active' || alert.escalatedAt !== null) return null;
  const next: Alert = { ...alert, escalatedAt: now, seq: alert.seq + 1 };
  return change(next, 'escalated', now, 'escalated', { note: 'not acknowledged in time' });
}

function conflict(alert: Alert, message: string): GatewayError {
  return new GatewayError('CGW_RULE_ALERT_CONFLICT', `alert ${alert.id}: ${message}`, {
    context: { id: alert.id, state: alert.state },
  });
}
