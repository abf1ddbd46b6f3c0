import { ruleCrossCheck } from './cross-check.ts';
import { rulesSchema, type Rule } from './rule.ts';

export type RulesValidation =
  { ok: true; rules: Rule[] } | { ok: false; problems: Array<{ path: string; message: string }> };

/**
 * Validates a `rules:` list on its own (what `reload` gets), with the same messages and paths
 * (`rules.2.when.above`) the config loader gives.
 */
export function validateRules(raw: unknown, deviceIds: readonly string[]): RulesValidation {
  const problems: Array<{ path: string; message: string }> = [];
  const parsed = rulesSchema.safeParse(raw);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      problems.push({
        path: ['rules', ...issue.path.map(String)].join('.'),
        message:
          issue.code === 'unrecognized_keys'
            ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
            : issue.message,
      });
  const devices = deviceIds.map((id) => ({ id }));
  for (const p of ruleCrossCheck({ devices, rules: raw }))
    problems.push({ path: p.path.join('.'), message: p.message });
  if (problems.length || !parsed.success) return { ok: false, problems };
  return { ok: true, rules: parsed.data };
}
