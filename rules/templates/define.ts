import { z } from 'zod';
import { durationMs } from '../../gateway/config/common.ts';
import type { RuleBodyInput } from '../schema/rule.ts';

/** A shipped rule template: named parameters with defaults, and the rule they make. */
export interface RuleTemplate {
  name: string;
  /** One line for the README and `cgw schema`. */
  description: string;
  /** A strict object schema: unknown params are errors, every param has a default. */
  params: z.ZodType<unknown, Record<string, unknown>>;
  build(params: unknown): RuleBodyInput;
}

/** Ties a template's params schema to its builder's argument type. */
export function defineTemplate<S extends z.ZodType<unknown, Record<string, unknown>>>(template: {
  name: string;
  description: string;
  params: S;
  build(params: z.output<S>): RuleBodyInput;
}): RuleTemplate {
  return { ...template, build: (params) => template.build(params as z.output<S>) };
}

/**
 * Params of a "too low" template: `below`, an optional `clear` (the way back up, not lower than
 * `below`) and `for`.
 */
export function belowParams(below: z.ZodDefault<z.ZodNumber>, forMs: number) {
  return z
    .strictObject({ below, clear: z.number().optional(), for: durationMs.default(forMs) })
    .refine((p) => p.clear === undefined || p.clear >= p.below, {
      message: 'clear must not be lower than below',
      path: ['clear'],
    });
}
