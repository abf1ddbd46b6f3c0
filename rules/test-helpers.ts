import type { Scalar } from '../gateway/types.ts';
import { evaluate, initialState, type Evaluation, type RuleInput, type RuleState } from './evaluate.ts';
import { rulesSchema, type Rule, type RulesInput } from './schema/rule.ts';

/** Test helpers for the rules module (no test runner imports: usable from tests and the bench). */

export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** One rule from what a person would write (id, severity and team filled in when absent). */
export function ruleOf(entry: Partial<RulesInput[number]> & Record<string, unknown>): Rule {
  const full = entry.template ? entry : { id: 'r', severity: 'major', team: 'ops', ...entry };
  return rulesSchema.parse([full])[0]!;
}

export const reading = (values: Record<string, Scalar>, deviceId = 'd'): RuleInput => ({
  type: 'reading',
  reading: { deviceId, ts: 0, values },
});

export const event = (type: string, data: Record<string, Scalar> = {}, deviceId = 'd'): RuleInput => ({
  type: 'event',
  event: { deviceId, ts: 0, type, data },
});

export const status = (online: boolean, deviceId = 'd'): RuleInput => ({
  type: 'status',
  status: { deviceId, ts: 0, online, reason: online ? 'status message' : 'last will' },
});

export const tick: RuleInput = { type: 'tick' };

/** Feeds a rule inputs at given times, keeping its state, like the engine does for one device. */
export class RuleDriver {
  state: RuleState;
  last: Evaluation | undefined;

  constructor(
    readonly rule: Rule,
    start = T0,
  ) {
    this.state = initialState(rule.when, start);
  }

  /** The transition types this input caused, e.g. ['fire'] or []. */
  at(t: number, input: RuleInput): string[] {
    this.last = evaluate(this.rule, input, this.state, t);
    this.state = this.last.state;
    return this.last.transitions.map((x) => x.type);
  }
}
