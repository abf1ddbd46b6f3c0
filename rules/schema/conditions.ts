import { z } from 'zod';
import { durationMs, identifier } from '../../gateway/config/common.ts';
import type { Scalar } from '../../gateway/types.ts';

/**
 * A rule's condition, as the evaluator reads it: one tagged variant per kind. Everything is on
 * one device; `all`/`any` combine conditions of that same device.
 */
export type Condition =
  | ThresholdCondition
  | EqualsCondition
  | EventCondition
  | AbsentCondition
  | OfflineCondition
  | RateCondition
  | AllCondition
  | AnyCondition;

/** Fires when `field` is above (or below) `level` for `forMs`; clears only past `clear` (hysteresis). */
export interface ThresholdCondition {
  type: 'threshold';
  field: string;
  op: 'above' | 'below';
  level: number;
  clear: number;
  forMs: number;
}

export interface EqualsCondition {
  type: 'equals';
  field: string;
  value: Scalar;
  forMs: number;
}

/** An event of one of these types (with these data values). Event alerts are resolved by a person. */
export interface EventCondition {
  type: 'event';
  events: string[];
  where: Record<string, Scalar>;
}

/** Nothing heard from the device (reading, event or online status) for `afterMs`. */
export interface AbsentCondition {
  type: 'absent';
  afterMs: number;
}

/** The device is reported offline (status, last will, silence check) for `forMs`. */
export interface OfflineCondition {
  type: 'offline';
  forMs: number;
}

/** `field` rose (or fell) by at least the given amount within the last `overMs`. */
export interface RateCondition {
  type: 'rate';
  field: string;
  overMs: number;
  risesBy: number | null;
  fallsBy: number | null;
  forMs: number;
}

export interface AllCondition {
  type: 'all';
  conditions: Condition[];
  forMs: number;
}

export interface AnyCondition {
  type: 'any';
  conditions: Condition[];
}

const scalar = z.union([z.number(), z.boolean(), z.string()]);

/** The keys that say which kind of condition an object is; exactly one must be present. */
const KIND_KEYS = ['above', 'below', 'equals', 'event', 'absent', 'offline', 'rate', 'all', 'any'] as const;
type KindKey = (typeof KIND_KEYS)[number];
const NEEDS_FIELD: readonly KindKey[] = ['above', 'below', 'equals', 'rate'];
const TAKES_FOR: readonly KindKey[] = ['above', 'below', 'equals', 'offline', 'rate', 'all'];

/** What a person writes in YAML. One object with every key optional keeps errors path-precise. */
export interface ConditionInput {
  field?: string;
  above?: number;
  below?: number;
  clear?: number;
  equals?: Scalar;
  for?: string | number;
  event?: string | string[];
  where?: Record<string, Scalar>;
  absent?: string | number;
  offline?: true;
  rate?: { over: string | number; risesBy?: number; fallsBy?: number };
  all?: ConditionInput[];
  any?: ConditionInput[];
}

const rawCondition = z.strictObject({
  field: identifier.optional().meta({ description: 'telemetry field, e.g. outlet_pressure_bar' }),
  above: z.number().optional().meta({ description: 'fires when the field is above this' }),
  below: z.number().optional().meta({ description: 'fires when the field is below this' }),
  clear: z.number().optional().meta({ description: 'clears only once past this level (hysteresis)' }),
  equals: scalar.optional(),
  for: durationMs.optional().meta({ description: 'the condition must hold this long before it fires' }),
  event: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  where: z.record(z.string(), scalar).optional().meta({ description: 'event data that must match' }),
  absent: durationMs.optional().meta({ description: 'nothing heard from the device for this long' }),
  offline: z.literal(true).optional(),
  rate: z
    .strictObject({
      over: durationMs,
      risesBy: z.number().positive().optional(),
      fallsBy: z.number().positive().optional(),
    })
    .optional(),
  get all() {
    return z.array(conditionSchema).min(1).optional();
  },
  get any() {
    return z.array(conditionSchema).min(1).optional();
  },
});

type RawCondition = Omit<z.output<typeof rawCondition>, 'all' | 'any'> & {
  all?: Condition[];
  any?: Condition[];
};

function checkCondition(c: RawCondition, ctx: z.RefinementCtx): void {
  const kinds = KIND_KEYS.filter((k) => c[k] !== undefined);
  if (kinds.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: kinds.length
        ? `give one of ${kinds.join(', ')}, not several (use all/any to combine)`
        : `a condition needs one of ${KIND_KEYS.join(', ')}`,
    });
    return;
  }
  const kind = kinds[0]!;
  if (NEEDS_FIELD.includes(kind) && c.field === undefined)
    ctx.addIssue({ code: 'custom', path: ['field'], message: `"${kind}" needs a field` });
  if (!NEEDS_FIELD.includes(kind) && c.field !== undefined)
    ctx.addIssue({ code: 'custom', path: ['field'], message: `"${kind}" takes no field` });
  if (c.for !== undefined && !TAKES_FOR.includes(kind))
    ctx.addIssue({
      code: 'custom',
      path: ['for'],
      message: kind === 'any' ? 'put "for" on the conditions inside "any"' : `"${kind}" takes no "for"`,
    });
  if (c.clear !== undefined) {
    if (kind === 'above' && c.clear > c.above!)
      ctx.addIssue({ code: 'custom', path: ['clear'], message: 'with "above", clear must not be higher' });
    else if (kind === 'below' && c.clear < c.below!)
      ctx.addIssue({ code: 'custom', path: ['clear'], message: 'with "below", clear must not be lower' });
    else if (kind !== 'above' && kind !== 'below')
      ctx.addIssue({ code: 'custom', path: ['clear'], message: 'clear goes with above or below' });
  }
  if (c.where !== undefined && kind !== 'event')
    ctx.addIssue({ code: 'custom', path: ['where'], message: 'where goes with event' });
  if (kind === 'rate' && c.rate!.risesBy === undefined && c.rate!.fallsBy === undefined)
    ctx.addIssue({ code: 'custom', path: ['rate'], message: 'give risesBy, fallsBy or both' });
}

function toCondition(c: RawCondition): Condition {
  const forMs = c.for ?? 0;
  const level = c.above ?? c.below;
  if (level !== undefined) {
    const op = c.above !== undefined ? 'above' : 'below';
    return { type: 'threshold', field: c.field!, op, level, clear: c.clear ?? level, forMs };
  }
  if (c.equals !== undefined) return { type: 'equals', field: c.field!, value: c.equals, forMs };
  if (c.event !== undefined)
    return { type: 'event', events: typeof c.event === 'string' ? [c.event] : c.event, where: c.where ?? {} };
  if (c.absent !== undefined) return { type: 'absent', afterMs: c.absent };
  if (c.offline !== undefined) return { type: 'offline', forMs };
  if (c.rate !== undefined)
    return {
      type: 'rate',
      field: c.field!,
      overMs: c.rate.over,
      risesBy: c.rate.risesBy ?? null,
      fallsBy: c.rate.fallsBy ?? null,
      forMs,
    };
  if (c.all !== undefined) return { type: 'all', conditions: c.all, forMs };
  return { type: 'any', conditions: c.any! };
}

/**
 * `{field, above|below, clear?, for?}`, `{field, equals, for?}`, `{event, where?}`, `{absent}`,
 * `{offline: true, for?}`, `{field, rate: {over, risesBy|fallsBy}, for?}`, `{all: […], for?}`,
 * `{any: […]}`. Validated key by key so a mistake is reported at its own path.
 */
export const conditionSchema: z.ZodType<Condition, ConditionInput> = z.lazy(() =>
  rawCondition.superRefine(checkCondition).transform(toCondition),
);

/** True when the condition (or a part of it) fires on events: such alerts are resolved by hand. */
export function firesOnEvents(c: Condition): boolean {
  if (c.type === 'event') return true;
  if (c.type === 'all' || c.type === 'any') return c.conditions.some(firesOnEvents);
  return false;
}
