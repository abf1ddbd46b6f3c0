import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckLinks } from './ack-link.ts';
import { isGatewayError } from '../gateway/errors.ts';
import { evaluate, initialState, type RuleInput } from './evaluate.ts';
import { renderMessage } from './render.ts';
import { conditionSchema, type ConditionInput } from './schema/conditions.ts';
import { TEMPLATES } from './templates/index.ts';
import { ruleOf, T0 } from './test-helpers.ts';

const FIELDS = ['a', 'b', 'level'] as const;
const field = fc.constantFrom(...FIELDS);
const scalar = fc.oneof(
  fc.double(),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.string({ maxLength: 5 }),
  fc.constantFrom(Number.NaN, Infinity, -Infinity),
);
const duration = fc.integer({ min: 0, max: 5000 });

const leaf: fc.Arbitrary<ConditionInput> = fc.oneof(
  fc.record({ field, above: fc.integer({ min: -5, max: 5 }), for: duration }),
  fc.record({ field, below: fc.integer({ min: -5, max: 5 }), for: duration }),
  fc.record({ field, equals: fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 2 })), for: duration }),
  fc.record({ event: fc.constantFrom('x', 'y') }),
  fc.record({ absent: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ offline: fc.constant(true as const), for: duration }),
  fc.record({
    field,
    rate: fc.record({ over: fc.integer({ min: 1, max: 5000 }), risesBy: fc.integer({ min: 1, max: 3 }) }),
  }),
);
const condition: fc.Arbitrary<ConditionInput> = fc.letrec<{ c: ConditionInput }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ all: fc.array(tie('c'), { minLength: 1, maxLength: 3 }), for: duration }),
    fc.record({ any: fc.array(tie('c'), { minLength: 1, maxLength: 3 }) }),
  ),
})).c;

/** Anything at all as an input, including shapes a buggy adapter might send. */
const input: fc.Arbitrary<RuleInput> = fc.oneof(
  fc.record({
    type: fc.constant('reading' as const),
    reading: fc.record({
      deviceId: fc.constant('d'),
      ts: fc.integer(),
      values: fc.dictionary(fc.oneof(field, fc.string()), scalar),
    }),
  }),
  fc
    .anything()
    .map(
      (values) =>
        ({ type: 'reading' as const, reading: { deviceId: 'd', ts: 0, values } }) as unknown as RuleInput,
    ),
  fc.record({
    type: fc.constant('event' as const),
    event: fc.record({
      deviceId: fc.constant('d'),
      ts: fc.integer(),
      type: fc.constantFrom('x', 'y', 'z'),
      data: fc.dictionary(fc.string(), scalar),
    }),
  }),
  fc.anything().map(
    (data) =>
      ({
        type: 'event' as const,
        event: { deviceId: 'd', ts: 0, type: 'x', data },
      }) as unknown as RuleInput,
  ),
  fc.record({
    type: fc.constant('status' as const),
    status: fc.record({
      deviceId: fc.constant('d'),
      ts: fc.integer(),
      online: fc.boolean(),
      reason: fc.string(),
    }),
  }),
  fc.constant({ type: 'tick' as const }),
);

describe('the evaluator, on random rules and inputs', () => {
  it('never throws, never fires twice without clearing a level, and keeps its state serialisable', () => {
    fc.assert(
      fc.property(
        condition,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), input), { maxLength: 40 }),
        (when, steps) => {
          const parsed = conditionSchema.safeParse(when);
          fc.pre(parsed.success);
          const rule = ruleOf({ when });
          let state = initialState(rule.when, T0);
          let now = T0;
          let levelOn = false;
          for (const [dt, inp] of steps) {
            now += dt;
            const ev = evaluate(rule, inp, state, now);
            for (const t of ev.transitions) {
              if (t.type === 'fire' && !t.manual) {
                expect(levelOn).toBe(false);
                levelOn = true;
              } else if (t.type === 'clear') {
                expect(levelOn).toBe(true);
                levelOn = false;
              }
            }
            if (ev.due !== null) expect(ev.due).toBeGreaterThan(now - 1);
            state = JSON.parse(JSON.stringify(ev.state)) as typeof state;
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('fires a threshold with `for` exactly when a reference model says, never earlier', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 2000 }),
            fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
          ),
          { maxLength: 60 },
        ),
        (forMs, steps) => {
          const rule = ruleOf({ when: { field: 'a', above: 10, for: forMs } });
          let state = initialState(rule.when, T0);
          let now = T0;
          let since: number | null = null;
          let value: number | undefined;
          let on = false;
          for (const [dt, v] of steps) {
            now += dt;
            if (v !== undefined) value = v;
            const inp: RuleInput =
              v === undefined
                ? { type: 'tick' }
                : { type: 'reading', reading: { deviceId: 'd', ts: now, values: { a: v } } };
            const ev = evaluate(rule, inp, state, now);
            state = ev.state;
            // Reference: on once above 10 continuously for forMs (checked at each step); off at <= 10.
            if (value !== undefined && value > 10) since ??= now;
            else since = null;
            const shouldFire = !on && since !== null && now - since >= forMs;
            const fired = ev.transitions.some((t) => t.type === 'fire');
            expect(fired).toBe(shouldFire);
            if (fired) on = true;
            if (since === null) on = false;
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('builds every template from random params without throwing (valid or reported)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TEMPLATES),
        fc.dictionary(
          fc.constantFrom('for', 'below', 'above', 'clear', 'kinds', 'events', 'minLoadKg'),
          fc.anything(),
        ),
        (template, params) => {
          const result = template.params.safeParse(params);
          if (result.success) expect(() => ruleOf({ template: template.name, params })).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('message templates and ack tokens, on random input', () => {
  it('render never throws and fills what it knows', () => {
    fc.assert(
      fc.property(fc.string(), scalar, fc.dictionary(fc.string(), fc.string()), (text, value, labels) => {
        const out = renderMessage(`${text}{name}{value}{nope}`, {
          device: 'd',
          name: 'N',
          site: 's',
          rule: 'r',
          severity: 'major',
          team: 't',
          field: 'f',
          value,
          labels,
        });
        expect(typeof out).toBe('string');
        expect(out.endsWith('{nope}')).toBe(true);
      }),
    );
  });

  it('a random token is refused with a coded error, never another throw', () => {
    const links = new AckLinks(Buffer.alloc(32, 7), 60_000);
    fc.assert(
      fc.property(fc.string(), fc.string(), (id, token) => {
        try {
          links.verify(id, token, T0);
          return false;
        } catch (err) {
          return isGatewayError(err, 'CGW_RULE_LINK_INVALID');
        }
      }),
    );
    const good = links.token('a1', 'chat', T0);
    expect(links.verify('a1', good, T0 + 60_000)).toEqual({ channel: 'chat', expiresAt: T0 + 60_000 });
  });
});
