import { describe, expect, it } from 'vitest';
import type { Transition } from './evaluate.ts';
import { acknowledge, clear, escalate, fire, resolve, type Alert } from './lifecycle.ts';
import { ruleOf, T0 } from './test-helpers.ts';

const rule = ruleOf({ when: { field: 'x', above: 1 }, flapWindow: '1m' });
const device = { id: 'pump-1', name: 'Pump 1', site: 's', kind: 'pump' as const };
const fired = (value: number, manual = false): Extract<Transition, { type: 'fire' }> => ({
  type: 'fire',
  manual,
  field: 'x',
  value,
  trigger: { type: 'time', ts: T0 },
});
let n = 0;
const ctx = (now: number) => ({ rule, device, now, message: 'm', newId: () => `a${++n}` });

describe('the alert state machine', () => {
  it('goes active → acknowledged → resolved, each step once', () => {
    const opened = fire(undefined, fired(2), ctx(T0));
    expect(opened).toMatchObject({
      notify: 'fired',
      history: { action: 'fired' },
      alert: { state: 'active', seq: 1 },
    });
    const acked = acknowledge(opened.alert, 'duty', 'coming', T0 + 5);
    expect(acked.alert).toMatchObject({ state: 'acknowledged', ackedAt: T0 + 5, ackedBy: 'duty', seq: 2 });
    expect(() => acknowledge(acked.alert, 'x', null, T0 + 6)).toThrow(/already acknowledged by duty/);
    const done = resolve(acked.alert, 'duty', null, T0 + 9);
    expect(done).toMatchObject({
      notify: 'resolved',
      alert: { state: 'resolved', resolvedBy: 'duty', seq: 3 },
    });
    expect(() => resolve(done.alert, 'x', null, T0 + 10)).toThrow(/already resolved/);
    expect(() => acknowledge(done.alert, 'x', null, T0 + 10)).toThrow(/already resolved/);
  });

  it('counts repeats on an open alert without notifying', () => {
    const a = fire(undefined, fired(2), ctx(T0)).alert;
    const again = fire(a, fired(3), ctx(T0 + 1));
    expect(again).toMatchObject({
      notify: null,
      history: null,
      alert: { id: a.id, count: 2, value: 3, seq: 1 },
    });
  });

  it('resolves by itself only what a condition raised', () => {
    const level = fire(undefined, fired(2), ctx(T0)).alert;
    expect(clear(level, 0.5, T0 + 1)).toMatchObject({
      notify: 'resolved',
      alert: { resolvedBy: null, value: 0.5 },
    });
    const byEvent = fire(undefined, fired(2, true), ctx(T0)).alert;
    expect(clear(byEvent, 0, T0 + 1)).toBeNull();
  });

  it('re-opens silently within the flap window, in the state it had; a new alert after it', () => {
    const a = fire(undefined, fired(2), ctx(T0)).alert;
    const acked = acknowledge(a, 'duty', null, T0 + 1).alert;
    const cleared = clear(acked, 0, T0 + 2)!.alert;
    const reopened = fire(cleared, fired(2), ctx(T0 + 2 + 60_000));
    expect(reopened).toMatchObject({
      notify: null,
      cancelResolvedNotice: true,
      history: { action: 'reopened' },
      alert: { id: a.id, state: 'acknowledged', resolvedAt: null, count: 2 },
    });
    const later = fire(clear(reopened.alert, 0, T0 + 70_000)!.alert, fired(2), ctx(T0 + 130_001));
    expect(later.notify).toBe('fired');
    expect(later.alert.id).not.toBe(a.id);
  });

  it('with a flap window of 0 opens a new alert, notified, even in the millisecond the last one cleared', () => {
    const noFlap = ruleOf({ when: { field: 'x', above: 1 }, flapWindow: '0s' });
    const at = (now: number) => ({ ...ctx(now), rule: noFlap });
    const a = fire(undefined, fired(2), at(T0)).alert;
    const cleared = clear(a, 0, T0 + 5)!.alert;
    const again = fire(cleared, fired(2), at(T0 + 5));
    expect(again).toMatchObject({
      notify: 'fired',
      cancelResolvedNotice: false,
      history: { action: 'fired' },
    });
    expect(again.alert.id).not.toBe(a.id);
  });

  it('does not re-open what a person resolved', () => {
    const a: Alert = resolve(fire(undefined, fired(2), ctx(T0)).alert, 'duty', null, T0 + 1).alert;
    expect(fire(a, fired(2), ctx(T0 + 2)).notify).toBe('fired');
  });

  it('escalates an active alert once, never an acknowledged one', () => {
    const a = fire(undefined, fired(2), ctx(T0)).alert;
    const up = escalate(a, T0 + 10)!;
    expect(up).toMatchObject({ notify: 'escalated', alert: { escalatedAt: T0 + 10 } });
    expect(escalate(up.alert, T0 + 20)).toBeNull();
    expect(escalate(acknowledge(a, 'duty', null, T0 + 1).alert, T0 + 10)).toBeNull();
  });
});
