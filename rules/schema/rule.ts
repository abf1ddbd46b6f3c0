import { z } from 'zod';
import { durationMs, identifier } from '../../gateway/config/common.ts';
import { DEVICE_KINDS, type DeviceKind } from '../../gateway/types.ts';
import { findTemplate, templateNames } from '../templates/index.ts';
import { conditionSchema, type Condition, type ConditionInput } from './conditions.ts';

export const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Which devices a rule watches: every given criterion must hold; none given = every device. */
export interface RuleMatch {
  kinds: DeviceKind[] | null;
  devices: string[] | null;
  labels: Record<string, string>;
}

/** A validated rule, templates expanded. */
export interface Rule {
  id: string;
  /** The shipped template it came from, if any. */
  template: string | null;
  match: RuleMatch;
  when: Condition;
  severity: Severity;
  team: string;
  /** `{device}`, `{name}`, `{value}`, `{field}`, `{site}`, `{rule}`, `{severity}`, `{team}`, labels. */
  message: string;
  /** Notify again (to `escalateTo`, else the team) when nobody acknowledged within this. */
  escalateAfterMs: number | null;
  escalateTo: string | null;
  /** A condition that clears and fires again within this re-opens the same alert silently. */
  flapWindowMs: number;
  /** Attach a snapshot from the device's linked cameras. */
  snapshot: boolean;
}

const DEFAULT_FLAP_WINDOW_MS = 120_000;
export const DEFAULT_MESSAGE = '{name}: {rule} ({field} = {value})';

export const ruleMatchSchema = z
  .strictObject({
    kind: z.union([z.enum(DEVICE_KINDS), z.array(z.enum(DEVICE_KINDS)).min(1)]).optional(),
    devices: z.array(identifier).min(1).optional().meta({ description: 'device ids' }),
    labels: z.record(identifier, z.string()).optional().meta({ description: 'every label must match' }),
  })
  .transform((m): RuleMatch => ({
    kinds: m.kind === undefined ? null : typeof m.kind === 'string' ? [m.kind] : m.kind,
    devices: m.devices ?? null,
    labels: m.labels ?? {},
  }));

/** The parts a rule and a template's output share. */
const ruleBody = {
  match: ruleMatchSchema.optional(),
  severity: z.enum(SEVERITIES).optional(),
  team: identifier.optional().meta({ description: 'who gets it: security, elevator, engineering…' }),
  message: z.string().min(1).max(500).optional(),
  escalateAfter: durationMs.optional(),
  escalateTo: identifier.optional().meta({ description: 'team notified on escalation (default: team)' }),
  flapWindow: durationMs.optional(),
  snapshot: z.boolean().optional(),
};

/** What a template builds (an inline rule without its id). */
export interface RuleBodyInput {
  match?: { kind?: DeviceKind | DeviceKind[]; devices?: string[]; labels?: Record<string, string> };
  when: ConditionInput;
  severity: Severity;
  team: string;
  message: string;
  escalateAfter?: string;
  flapWindow?: string;
}

const templateBodySchema = z.strictObject({ ...ruleBody, when: conditionSchema });

/** One entry of `rules:`: an inline rule or `template: name` with `params` and overrides. */
const ruleEntrySchema = z
  .strictObject({
    id: identifier.optional(),
    template: z
      .string()
      .optional()
      .meta({ description: `a shipped template: ${templateNames().join(', ')}` }),
    params: z.record(z.string(), z.unknown()).optional().meta({ description: "the template's parameters" }),
    ...ruleBody,
    when: conditionSchema.optional(),
  })
  .transform((entry, ctx): Rule => {
    if (entry.template === undefined) {
      for (const key of ['id', 'when', 'severity', 'team'] as const)
        if (entry[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required' });
      if (entry.params !== undefined)
        ctx.addIssue({ code: 'custom', path: ['params'], message: 'params go with template' });
      if (entry.id === undefined || entry.when === undefined || !entry.severity || !entry.team)
        return z.NEVER;
      return finish(entry.id, null, {
        ...entry,
        when: entry.when,
        severity: entry.severity,
        team: entry.team,
      });
    }
    const template = findTemplate(entry.template);
    if (!template) {
      ctx.addIssue({
        code: 'custom',
        path: ['template'],
        message: `no template "${entry.template}" (shipped: ${templateNames().join(', ')})`,
      });
      return z.NEVER;
    }
    if (entry.when !== undefined)
      ctx.addIssue({ code: 'custom', path: ['when'], message: 'a template brings its own condition' });
    const params = template.params.safeParse(entry.params ?? {});
    if (!params.success) {
      for (const issue of params.error.issues)
        ctx.addIssue({ ...issue, path: ['params', ...issue.path] } as z.core.$ZodRawIssue);
      return z.NEVER;
    }
    const body = templateBodySchema.safeParse(template.build(params.data));
    if (!body.success) {
      // The template's own output is wrong for these params: say which, it is not the user's typo.
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: `template "${template.name}" cannot be built from these params: ${body.error.issues[0]?.message}`,
      });
      return z.NEVER;
    }
    const merged = { ...body.data };
    for (const [key, value] of Object.entries(entry))
      if (value !== undefined && key in ruleBody) Object.assign(merged, { [key]: value });
    return finish(entry.id ?? template.name, template.name, {
      ...merged,
      severity: merged.severity!,
      team: merged.team!,
    });
  });

function finish(
  id: string,
  template: string | null,
  b: z.output<typeof templateBodySchema> & { severity: Severity; team: string },
): Rule {
  return {
    id,
    template,
    match: b.match ?? { kinds: null, devices: null, labels: {} },
    when: b.when,
    severity: b.severity,
    team: b.team,
    message: b.message ?? DEFAULT_MESSAGE,
    escalateAfterMs: b.escalateAfter ?? null,
    escalateTo: b.escalateTo ?? null,
    flapWindowMs: b.flapWindow ?? DEFAULT_FLAP_WINDOW_MS,
    snapshot: b.snapshot ?? true,
  };
}

/** `rules:` of the config: entries validated, templates expanded, ids unique. */
export const rulesSchema = z.array(ruleEntrySchema).superRefine((rules, ctx) => {
  const seen = new Map<string, number>();
  rules.forEach((rule, index) => {
    const first = seen.get(rule.id);
    if (first === undefined) seen.set(rule.id, index);
    else
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `duplicate rule id "${rule.id}" (first at rules.${first}); give the second one its own id`,
      });
  });
});

export type RulesInput = z.input<typeof rulesSchema>;
