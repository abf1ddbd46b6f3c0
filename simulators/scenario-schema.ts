import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationMs, identifier } from '../gateway/config/common.ts';
import { GatewayError } from '../gateway/errors.ts';

/** One fault on the timeline: switched on at `at` (model time from the start), off `duration` later. */
const entrySchema = z.strictObject({
  at: durationMs,
  device: identifier,
  fault: z.string().min(1),
  duration: durationMs.refine((ms) => ms > 0, 'must be longer than 0'),
});

/** A fault timeline, as a file in `simulators/scenarios/` holds it. */
export const scenarioSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** Start over when the timeline ends. Default false. */
  loop: z.boolean().default(false),
  /** One pass lasts this long (model time); default: until the last fault ends. */
  period: durationMs.optional(),
  /** Every start moves later by up to this much, drawn from `seed`: each pass differs, each run the same. */
  jitter: durationMs.default(0),
  seed: z.number().int().optional(),
  timeline: z.array(entrySchema).min(1),
});

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioEntry = Scenario['timeline'][number];

/** One thing wrong with a scenario: the dotted path of the entry (`timeline.2.fault`) and why. */
export interface ScenarioProblem {
  path: string;
  message: string;
}

export type ScenarioResult = { ok: true; scenario: Scenario } | { ok: false; problems: ScenarioProblem[] };

/** Validates a scenario given as an object; reports every problem with its path, never throws. */
export function parseScenarioObject(raw: unknown): ScenarioResult {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  const scenario = parsed.data;
  if (scenario.period !== undefined) {
    const end = passLength({ ...scenario, period: undefined });
    if (scenario.period < end)
      return {
        ok: false,
        problems: [{ path: 'period', message: `shorter than the timeline (${end} ms)` }],
      };
  }
  return { ok: true, scenario };
}

/** Parses and validates scenario YAML text. */
export function parseScenario(text: string): ScenarioResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return { ok: false, problems: [{ path: '', message: `not YAML: ${(err as Error).message}` }] };
  }
  return parseScenarioObject(raw);
}

/** Reads a scenario file; throws `CGW_CONFIG_INVALID` naming the file and every problem's path. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GatewayError('CGW_CONFIG_NOT_FOUND', `cannot read scenario file ${path}`, { cause });
  }
  const result = parseScenario(text);
  if (!result.ok)
    throw new GatewayError(
      'CGW_CONFIG_INVALID',
      `${path}: ${result.problems.map((p) => `${p.path || '(file)'}: ${p.message}`).join('; ')}`,
      { context: { problems: result.problems } },
    );
  return result.scenario;
}

/** How long one pass of the timeline lasts, model ms (jitter included). */
export function passLength(scenario: Pick<Scenario, 'timeline' | 'period' | 'jitter'>): number {
  if (scenario.period !== undefined) return scenario.period;
  return Math.max(...scenario.timeline.map((e) => e.at + e.duration)) + scenario.jitter;
}
