import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../gateway/config/load.ts';
import { TEMPLATES } from '../templates/index.ts';
import { defaultNotify, notifySchema } from './notify.ts';
import { rulesSchema } from './rule.ts';
import { validateRules } from './validate.ts';

const devices = `
devices:
  - { id: pump-1, kind: pump, protocol: mqtt, password: x }
`;

describe('rules in the config', () => {
  it("reads the design's example: a template with params and an inline rule with hysteresis", () => {
    const result = parseConfig(
      `${devices}
rules:
  - template: pump-low-pressure
    params: { below: 2.0, for: 30s }
  - id: lift-overload
    match: { kind: elevator }
    when: { field: load_kg, above: 1000, for: 5s, clear: 900 }
    severity: major
    team: elevator
    message: "{name}: load {value} kg"
`,
      {},
    );
    expect(result.ok).toBe(true);
    const rules = result.ok ? result.config.rules : [];
    expect(rules[0]).toMatchObject({
      id: 'pump-low-pressure',
      template: 'pump-low-pressure',
      match: { kinds: ['pump'] },
      when: { type: 'all', forMs: 30_000 },
    });
    expect(rules[1]).toMatchObject({
      id: 'lift-overload',
      when: { type: 'threshold', field: 'load_kg', op: 'above', level: 1000, clear: 900, forMs: 5000 },
      flapWindowMs: 120_000,
    });
  });

  it('reports every mistake with its path and line', () => {
    const result = parseConfig(
      `${devices}
rules:
  - id: a
    when: { field: x, above: 3, below: 1 }
    severity: urgent
    team: t
  - template: pump-low-pressure
    params: { below: low, speed: 3 }
  - template: no-such-thing
  - { id: b, when: { event: e, for: 3s }, severity: info, team: t, match: { devices: [ghost] } }
  - { id: a, when: { absent: 5 minutes }, severity: info, team: t }
  - { id: c, when: { all: [ { field: x, below: 1, clear: 0 } ] }, severity: info, team: t }
  - { id: d, when: { field: x, rate: { over: 1m } }, severity: info, team: t, params: {} }
`,
      {},
    );
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(problems).toEqual([
      '7 rules.0.when: give one of above, below, not several (use all/any to combine)',
      expect.stringMatching(/^8 rules\.0\.severity: Invalid option/),
      expect.stringMatching(/^11 rules\.1\.params\.below: .*expected number/),
      expect.stringMatching(/^11 rules\.1\.params: unknown key\(s\) "speed"/),
      expect.stringMatching(
        /^12 rules\.2\.template: no template "no-such-thing" \(shipped: lift-entrapment, /,
      ),
      '13 rules.3.when.for: "event" takes no "for"',
      '13 rules.3.match.devices.0: "ghost" is not a device in this config',
      expect.stringMatching(/^14 rules\.4\.when\.absent: "5 minutes" is not a duration/),
      '15 rules.5.when.all.0.clear: with "below", clear must not be lower',
      '16 rules.6.when.rate: give risesBy, fallsBy or both',
    ]);
    // Whole-entry checks come once its parts are valid.
    const params = validateRules(
      [{ id: 'd', when: { absent: '1m' }, severity: 'info', team: 't', params: {} }],
      [],
    );
    expect(!params.ok && params.problems).toEqual([
      { path: 'rules.0.params', message: 'params go with template' },
    ]);
  });

  it('refuses two rules with one id (a template used twice needs its own id)', () => {
    const result = validateRules(
      [{ template: 'device-offline' }, { template: 'device-offline', params: { for: '5m' } }],
      [],
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toEqual({
      path: 'rules.1.id',
      message: 'duplicate rule id "device-offline" (first at rules.0); give the second one its own id',
    });
    expect(
      validateRules([{ template: 'device-offline' }, { template: 'device-offline', id: 'cams-offline' }], [])
        .ok,
    ).toBe(true);
  });

  it('lets a template use be overridden: id, match, severity, team, message, escalation', () => {
    const [rule] = rulesSchema.parse([
      {
        template: 'door-forced',
        id: 'b1-doors',
        match: { kind: 'access', labels: { building: 'b1' } },
        severity: 'critical',
        team: 'security-b1',
        message: '{building} {name} forced',
        escalateAfter: '2m',
        escalateTo: 'managers',
      },
    ]);
    expect(rule).toMatchObject({
      id: 'b1-doors',
      template: 'door-forced',
      match: { kinds: ['access'], labels: { building: 'b1' } },
      severity: 'critical',
      team: 'security-b1',
      message: '{building} {name} forced',
      escalateAfterMs: 120_000,
      escalateTo: 'managers',
      when: { type: 'event', events: ['door.forced'] },
    });
  });

  it.each(TEMPLATES.map((t) => [t.name]))('template %s builds a valid rule from its defaults', (name) => {
    const [rule] = rulesSchema.parse([{ template: name }]);
    expect(rule!.id).toBe(name);
    expect(rule!.message.length).toBeGreaterThan(0);
  });
});

describe('notify in the config', () => {
  it('checks routes point at channels, ids are unique, times and zones are real', () => {
    const result = notifySchema.safeParse({
      timeZone: 'Mars/Olympus',
      channels: [
        { id: 'chat', type: 'webhook', url: 'ftp://x', preset: 'wecom' },
        { id: 'chat', type: 'mqtt', quiet: [{ from: '25:00', to: '07:00' }] },
      ],
      routes: [{ team: 'security', channels: ['chat', 'pager'] }],
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['timeZone', 'channels.0.url', 'channels.1.quiet.0.from']));
  });

  it('defaults to every alert change on the MQTT alert topic', () => {
    expect(defaultNotify()).toMatchObject({
      channels: [{ id: 'mqtt', type: 'mqtt' }],
      routes: [{ channels: ['mqtt'] }],
      ackLinkTtl: 86_400_000,
    });
  });
});
