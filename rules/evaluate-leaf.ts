import type { Reading, Scalar } from '../gateway/types.ts';
import type { Condition } from './schema/conditions.ts';
import type { RuleInput } from './evaluate.ts';

type Leaf = Extract<Condition, { type: 'threshold' | 'equals' | 'absent' | 'offline' | 'rate' }>;

/** States of the conditions that hold as levels (everything but events and groups). */
export type LeafState =
  | { t: 'threshold' | 'equals'; v: Scalar | null; pending: number | null; on: boolean }
  | { t: 'absent'; last: number; on: boolean }
  | { t: 'offline'; offline: boolean; pending: number | null; on: boolean }
  | { t: 'rate'; samples: Array<[number, number]>; v: number | null; pending: number | null; on: boolean };

export interface LeafOut {
  s: LeafState;
  /** Levels never pulse: there so a leaf's answer is also a node's (evaluate.ts), no copy made. */
  pulse: null;
  due: number | null;
  durable: boolean;
}

/** A rate window keeps at most about this many samples, however fast the device reports. */
const RATE_SAMPLES = 64;

/** True when the condition contains an event, which makes it fire on events rather than hold. */
export function hasPulse(c: Condition): boolean {
  if (c.type === 'event') return true;
  if (c.type === 'all' || c.type === 'any') return c.conditions.some(hasPulse);
  return false;
}

/**
 * `for`: a raw condition must hold continuously for `forMs` before the node is on. Once on, it is
 * off as soon as the raw condition is (hysteresis is in the raw condition itself).
 */
export function debounce(
  raw: boolean,
  pending: number | null,
  on: boolean,
  forMs: number,
  now: number,
): { pending: number | null; on: boolean; due: number | null } {
  if (!raw) return { pending: null, on: false, due: null };
  if (on) return { pending, on: true, due: null };
  const since = pending ?? now;
  if (now - since >= forMs) return { pending: since, on: true, due: null };
  return { pending: since, on: false, due: since + forMs };
}

/** A usable value of `field`: present, of good quality, finite when a number. */
function valueOf(reading: Reading, field: string): Scalar | undefined {
  const values = reading.values as Record<string, unknown> | undefined;
  if (typeof values !== 'object' || values === null) return undefined;
  const v = values[field];
  const quality = (reading.quality as Record<string, unknown> | undefined)?.[field];
  if (quality !== undefined && quality !== 'good') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  return undefined;
}

function numberOf(v: Scalar | null | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Anything from the device that shows it is there. */
function heardFrom(input: RuleInput): boolean {
  return (
    input.type === 'reading' || input.type === 'event' || (input.type === 'status' && input.status.online)
  );
}

export function leafStep(c: Leaf, s: LeafState, input: RuleInput, now: number): LeafOut {
  switch (c.type) {
    case 'threshold':
    case 'equals': {
      const prev = s as Extract<LeafState, { t: 'threshold' | 'equals' }>;
      let v = prev.v;
      if (input.type === 'reading') v = valueOf(input.reading, c.field) ?? v;
      let raw: boolean;
      if (c.type === 'equals') raw = v === c.value;
      else {
        const n = numberOf(v);
        // Hysteresis: once on, it takes crossing the clear level to go off.
        const level = prev.on ? c.clear : c.level;
        raw = n !== undefined && (c.op === 'above' ? n > level : n < level);
      }
      const d = debounce(raw, prev.pending, prev.on, c.forMs, now);
      const durable = d.pending !== prev.pending || d.on !== prev.on;
      const same = !durable && v === prev.v;
      return {
        s: same ? prev : { t: c.type, v, pending: d.pending, on: d.on },
        pulse: null,
        due: d.due,
        durable,
      };
    }
    case 'absent': {
      const prev = s as Extract<LeafState, { t: 'absent' }>;
      const last = heardFrom(input) ? Math.max(prev.last, now) : prev.last;
      const on = now - last >= c.afterMs;
      const same = last === prev.last && on === prev.on;
      return {
        s: same ? prev : { t: 'absent', last, on },
        pulse: null,
        due: on ? null : last + c.afterMs,
        durable: on !== prev.on,
      };
    }
    case 'offline': {
      const prev = s as Extract<LeafState, { t: 'offline' }>;
      let offline = prev.offline;
      if (input.type === 'status') offline = input.status.online === false;
      else if (heardFrom(input)) offline = false;
      const d = debounce(offline, prev.pending, prev.on, c.forMs, now);
      const durable = d.pending !== prev.pending || d.on !== prev.on;
      const same = !durable && offline === prev.offline;
      return {
        s: same ? prev : { t: 'offline', offline, pending: d.pending, on: d.on },
        pulse: null,
        due: d.due,
        durable,
      };
    }
    case 'rate':
      return rateStep(c, s as Extract<LeafState, { t: 'rate' }>, input, now);
  }
}

function rateStep(
  c: Extract<Condition, { type: 'rate' }>,
  prev: Extract<LeafState, { t: 'rate' }>,
  input: RuleInput,
  now: number,
): LeafOut {
  const from = now - c.overMs;
  // Copied only when something leaves or joins the window: states are never changed in place.
  let samples = prev.samples.some(([ts]) => ts < from)
    ? prev.samples.filter(([ts]) => ts >= from)
    : prev.samples;
  let v = prev.v;
  const x = input.type === 'reading' ? numberOf(valueOf(input.reading, c.field)) : undefined;
  if (x !== undefined) {
    v = x;
    // Thin a fast device's samples: the newest replaces the last one when they are close in time.
    const n = samples.length;
    if (n >= 2 && now - samples[n - 2]![0] < c.overMs / RATE_SAMPLES) samples = samples.slice(0, n - 1);
    samples = [...samples, [now, x]];
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const change = first && last ? last[1] - first[1] : 0;
  const raw = (c.risesBy !== null && change >= c.risesBy) || (c.fallsBy !== null && -change >= c.fallsBy);
  const d = debounce(raw, prev.pending, prev.on, c.forMs, now);
  const durable = d.pending !== prev.pending || d.on !== prev.on;
  // The window slides: the oldest sample leaving it may change the outcome.
  const slide = samples.length > 1 ? samples[0]![0] + c.overMs + 1 : null;
  const due = d.due === null ? slide : slide === null ? d.due : Math.min(d.due, slide);
  const same = samples === prev.samples && v === prev.v && !durable;
  return {
    s: same ? prev : { t: 'rate', samples, v, pending: d.pending, on: d.on },
    pulse: null,
    due,
    durable,
  };
}
