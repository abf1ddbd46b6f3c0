import type { DeviceEvent, Reading, Scalar, Status } from '../gateway/types.ts';
import type { Condition } from './schema/conditions.ts';
import type { Rule } from './schema/rule.ts';
import { debounce, hasPulse, leafStep, type LeafState } from './evaluate-leaf.ts';

/** What the evaluator is shown: something the device said, or just time passing. */
export type RuleInput =
  | { type: 'reading'; reading: Reading }
  | { type: 'event'; event: DeviceEvent }
  | { type: 'status'; status: Status }
  | { type: 'tick' };

/** Per rule and device: one node per condition, JSON-serialisable (it is persisted). */
export type NodeState =
  | LeafState
  | { t: 'event' }
  | { t: 'all'; children: NodeState[]; pending: number | null; on: boolean }
  | { t: 'any'; children: NodeState[]; on: boolean };
export type RuleState = NodeState;

/** What the triggering input was, kept with the alert. */
export type Trigger =
  | { type: 'reading'; ts: number; values: Record<string, Scalar> }
  | { type: 'event'; ts: number; eventType: string; data: Record<string, Scalar> }
  | { type: 'status'; ts: number; online: boolean; reason: string }
  | { type: 'time'; ts: number };

export type Transition =
  /** The condition started to hold (`manual`: it came from an event, nothing will clear it). */
  | { type: 'fire'; manual: boolean; field: string | null; value: Scalar | null; trigger: Trigger }
  /** It stopped holding. */
  | { type: 'clear'; field: string | null; value: Scalar | null }
  /** It holds and its value moved. */
  | { type: 'value'; field: string | null; value: Scalar | null };

export interface Evaluation {
  state: RuleState;
  transitions: readonly Transition[];
  /** When time alone could change the outcome (a `for` ending, silence, a rate window sliding). */
  due: number | null;
  /** A pending timer or an on/off state changed: worth persisting so a restart resumes it. */
  durable: boolean;
}

interface NodeOut {
  s: NodeState;
  pulse: Trigger | null;
  due: number | null;
  durable: boolean;
}

/** A fresh state for a rule on one device; `now` starts silence clocks. */
export function initialState(c: Condition, now: number): NodeState {
  switch (c.type) {
    case 'event':
      return { t: 'event' };
    case 'all':
      return { t: 'all', children: c.conditions.map((x) => initialState(x, now)), pending: null, on: false };
    case 'any':
      return { t: 'any', children: c.conditions.map((x) => initialState(x, now)), on: false };
    case 'absent':
      return { t: 'absent', last: now, on: false };
    case 'offline':
      return { t: 'offline', offline: false, pending: null, on: false };
    case 'rate':
      return { t: 'rate', samples: [], v: null, pending: null, on: false };
    default:
      return { t: c.type, v: null, pending: null, on: false };
  }
}

/**
 * A persisted state made fit for `now`: silence clocks restart (the gateway heard nothing while it
 * was down, which says nothing about the devices); a state that does not fit the condition any
 * more is replaced by a fresh one.
 */
export function rehydrate(c: Condition, s: unknown, now: number): NodeState {
  if (!fits(c, s)) return initialState(c, now);
  if (s.t === 'absent') return { ...s, last: now, on: false };
  if (s.t === 'all' || s.t === 'any') {
    const conditions = (c as { conditions: Condition[] }).conditions;
    return { ...s, children: conditions.map((x, i) => rehydrate(x, s.children[i], now)) };
  }
  return s;
}

function fits(c: Condition, s: unknown): s is NodeState {
  if (typeof s !== 'object' || s === null) return false;
  const t = (s as { t?: unknown }).t;
  if (c.type === 'all' || c.type === 'any') {
    const children = (s as { children?: unknown }).children;
    return t === c.type && Array.isArray(children) && children.length === c.conditions.length;
  }
  return t === c.type;
}

/** True when the node holds as a level (an event-only node never does). */
export function isOn(c: Condition, s: NodeState): boolean {
  if (c.type === 'event' || s.t === 'event') return false;
  if (c.type === 'all' && hasPulse(c)) return false;
  return s.on;
}

/**
 * The rule's condition on one device, one input further. Pure: the same arguments always give
 * the same answer, nothing is mutated, and no input (however malformed) makes it throw.
 */
export function evaluate(rule: Rule, input: RuleInput, state: RuleState, now: number): Evaluation {
  const c = rule.when;
  const out = step(c, state, input, now);
  const before = isOn(c, state);
  const after = isOn(c, out.s);
  const transitions: Transition[] = [];
  if (!before && after) {
    const { field, value } = describe(c, out.s);
    transitions.push({ type: 'fire', manual: false, field, value, trigger: triggerOf(input, now) });
  } else if (before && !after) {
    transitions.push({ type: 'clear', ...describe(c, out.s) });
  } else if (after && input.type === 'reading') {
    const was = describe(c, state);
    const is = describe(c, out.s);
    if (was.value !== is.value) transitions.push({ type: 'value', ...is });
  }
  if (out.pulse) {
    const value = out.pulse.type === 'event' ? out.pulse.eventType : null;
    transitions.push({ type: 'fire', manual: true, field: 'event', value, trigger: out.pulse });
  }
  return {
    state: out.s,
    transitions: transitions.length ? transitions : NO_TRANSITIONS,
    due: out.due,
    durable: out.durable,
  };
}

/** What most evaluations answer: one shared, frozen empty list rather than a new one per message. */
const NO_TRANSITIONS: readonly Transition[] = Object.freeze([]);

function step(c: Condition, s: NodeState, input: RuleInput, now: number): NodeOut {
  if (c.type === 'event') {
    const e = input.type === 'event' ? input.event : undefined;
    const hit = e !== undefined && c.events.includes(e.type) && matchesWhere(c.where, e.data);
    const pulse: Trigger | null = hit
      ? { type: 'event', ts: e.ts, eventType: e.type, data: { ...(e.data ?? {}) } }
      : null;
    return { s: s.t === 'event' ? s : { t: 'event' }, pulse, due: null, durable: false };
  }
  if (c.type === 'all' || c.type === 'any') return groupStep(c, s, input, now);
  return leafStep(c, s as LeafState, input, now);
}

function groupStep(
  c: Extract<Condition, { type: 'all' | 'any' }>,
  s: NodeState,
  input: RuleInput,
  now: number,
): NodeOut {
  const prev = s as Extract<NodeState, { t: 'all' | 'any' }>;
  // The children's states, copied only once one of them changed (most messages change none).
  let children: NodeState[] | undefined;
  let due: number | null = null;
  let durable = false;
  let pulse: Trigger | null = null;
  let allLevels = true;
  let anyLevel = false;
  for (let i = 0; i < c.conditions.length; i++) {
    const child = c.conditions[i]!;
    const out = step(child, prev.children[i]!, input, now);
    if (children) children.push(out.s);
    else if (out.s !== prev.children[i]) children = [...prev.children.slice(0, i), out.s];
    due = minDue(due, out.due);
    durable ||= out.durable;
    pulse ??= out.pulse;
    if (child.type === 'event' || (child.type === 'all' && hasPulse(child))) continue;
    const on = isOn(child, out.s);
    allLevels &&= on;
    anyLevel ||= on;
  }
  if (c.type === 'any') {
    durable ||= anyLevel !== prev.on;
    const same = !children && anyLevel === prev.on;
    return {
      s: same ? prev : { t: 'any', children: children ?? prev.children, on: anyLevel },
      pulse,
      due,
      durable,
    };
  }
  const was = prev as Extract<NodeState, { t: 'all' }>;
  const d = debounce(allLevels, was.pending, was.on, c.forMs, now);
  const changed = d.pending !== was.pending || d.on !== was.on;
  durable ||= changed;
  // With an event inside, `all` pulses when the event comes while every other part holds.
  const allPulse = hasPulse(c) ? (d.on ? pulse : null) : pulse;
  return {
    s:
      !children && !changed
        ? was
        : { t: 'all', children: children ?? was.children, pending: d.pending, on: d.on },
    pulse: allPulse,
    due: minDue(due, d.due),
    durable,
  };
}

function matchesWhere(where: Record<string, Scalar>, data: unknown): boolean {
  for (const key in where) {
    if (typeof data !== 'object' || data === null) return false;
    if ((data as Record<string, unknown>)[key] !== where[key]) return false;
  }
  return true;
}

/** The field and value an alert shows: the first part of the condition that has one. */
export function describe(c: Condition, s: NodeState): { field: string | null; value: Scalar | null } {
  switch (c.type) {
    case 'threshold':
    case 'equals':
    case 'rate':
      return { field: c.field, value: 'v' in s ? (s.v ?? null) : null };
    case 'offline':
      return { field: 'online', value: false };
    case 'absent':
      return { field: 'absent', value: null };
    case 'event':
      return { field: null, value: null };
    default: {
      const children = 'children' in s ? s.children : [];
      let fallback: { field: string | null; value: Scalar | null } = { field: null, value: null };
      for (let i = 0; i < c.conditions.length; i++) {
        const child = c.conditions[i]!;
        const cs = children[i];
        if (!cs) continue;
        const d = describe(child, cs);
        if (d.value === null) continue;
        if (isOn(child, cs)) return d;
        if (fallback.value === null) fallback = d;
      }
      return fallback;
    }
  }
}

function triggerOf(input: RuleInput, now: number): Trigger {
  switch (input.type) {
    case 'reading':
      return { type: 'reading', ts: input.reading.ts, values: { ...input.reading.values } };
    case 'event':
      return {
        type: 'event',
        ts: input.event.ts,
        eventType: input.event.type,
        data: { ...input.event.data },
      };
    case 'status':
      return {
        type: 'status',
        ts: input.status.ts,
        online: input.status.online,
        reason: input.status.reason,
      };
    default:
      return { type: 'time', ts: now };
  }
}

export function minDue(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
