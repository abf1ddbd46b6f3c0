import { afterEach, describe, expect, it } from 'vitest';
import { EngineFixture } from '../test/fixtures/rules-engine.ts';
import { systemClock } from '../gateway/clock.ts';

const S = 1000;
let f: EngineFixture;
afterEach(() => f?.dispose());

const PUMP_RULE = `
rules:
  - template: pump-low-pressure
    params: { below: 2.0, for: 30s }
`;

describe('the rule engine', () => {
  it('fires after `for`, publishes the alert object, writes the alerts series, resolves on recovery', async () => {
    f = await EngineFixture.create(PUMP_RULE);
    f.reading('pump-1', { outlet_pressure_bar: 1.4, running: true });
    await f.advance(29 * S);
    f.reading('pump-1', { outlet_pressure_bar: 1.3, running: true });
    await f.advance(S - 1);
    expect(f.engine.list()).toEqual([]);
    await f.advance(1);
    const [alert] = f.engine.list({ state: 'active' });
    expect(alert).toMatchObject({
      rule: 'pump-low-pressure',
      device: 'pump-1',
      severity: 'major',
      team: 'engineering',
      value: 1.3,
      field: 'outlet_pressure_bar',
      message: 'Booster pump 1: outlet pressure 1.3 bar while running',
      count: 1,
    });
    expect(f.published).toHaveLength(1);
    expect(f.published[0]!.topic).toBe('cg/garden-court/alerts/pump-1');
    expect(f.published[0]!.message).toMatchObject({ id: alert!.id, event: 'fired', state: 'active' });
    expect(String(f.published[0]!.message.ackUrl)).toMatch(
      /^http:\/\/127\.0\.0\.1:8080\/api\/alerts\/.+\/ack-link\?token=/,
    );

    f.reading('pump-1', { outlet_pressure_bar: 2.5, running: true });
    await f.engine.idle();
    expect(f.engine.get(alert!.id)!.state).toBe('resolved');
    // The resolved notice waits out the flap window (2 min by default).
    expect(f.events()).toEqual(['fired:pump-1']);
    await f.advance(120 * S);
    expect(f.events()).toEqual(['fired:pump-1', 'resolved:pump-1']);

    const points = f.series.points.filter((p) => p.measurement === 'alerts');
    expect(points.map((p) => p.fields.state)).toEqual(['active', 'resolved']);
    expect(points[0]!.tags).toEqual({
      site: 'garden-court',
      device: 'pump-1',
      rule: 'pump-low-pressure',
      severity: 'major',
    });
    expect(f.engine.history(alert!.id).map((h) => h.action)).toEqual(['fired', 'resolved']);
  });

  it('keeps one alert per rule and device: repeats count, they are not notified again', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
    f.event('door-1', 'door.forced');
    await f.advance(S);
    f.event('door-1', 'door.forced');
    f.event('door-1', 'door.forced');
    await f.advance(S);
    const alerts = f.engine.list();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 3, manual: true, state: 'active' });
    expect(f.events()).toEqual(['fired:door-1']);
    // An event alert is resolved by a person; the next event then opens a new one.
    f.engine.resolve(alerts[0]!.id, 'duty', 'door closed and checked');
    f.event('door-1', 'door.forced');
    await f.advance(S);
    expect(f.engine.list()).toHaveLength(2);
    expect(f.events()).toEqual(['fired:door-1', 'resolved:door-1', 'fired:door-1']);
  });

  it('holds back a sensor flapping 50 times in two minutes: one alert, a handful of notifications', async () => {
    f = await EngineFixture.create(`
rules:
  - id: tank-low
    match: { devices: [pump-1] }
    when: { field: tank_level_pct, below: 20 }
    severity: major
    team: engineering
`);
    for (let i = 0; i < 50; i++) {
      f.reading('pump-1', { tank_level_pct: 19 });
      await f.advance(1200);
      f.reading('pump-1', { tank_level_pct: 21 });
      await f.advance(1200);
    }
    const alerts = f.engine.list();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 50, state: 'resolved' });
    expect(f.published.length).toBeLessThanOrEqual(1);
    await f.advance(120 * S);
    expect(f.events()).toEqual(['fired:pump-1', 'resolved:pump-1']);
    expect(f.engine.history(alerts[0]!.id).filter((h) => h.action === 'reopened')).toHaveLength(49);
  });

  it('resumes a `for` window across a restart: fires once, at the right time', async () => {
    f = await EngineFixture.create(PUMP_RULE);
    f.reading('pump-1', { outlet_pressure_bar: 1.2, running: true });
    await f.advance(10 * S);
    await f.restart();
    f.reading('pump-1', { outlet_pressure_bar: 1.2, running: true });
    await f.advance(20 * S - 1);
    expect(f.engine.list()).toEqual([]);
    await f.advance(1);
    expect(f.engine.list()).toHaveLength(1);
    expect(f.engine.list()[0]!.startedAt).toBe(f.clock.now());
    await f.restart();
    f.reading('pump-1', { outlet_pressure_bar: 1.1, running: true });
    await f.advance(60 * S);
    expect(f.engine.list()).toHaveLength(1);
    expect(f.events()).toEqual(['fired:pump-1']);
  });

  it('fires at start a `for` window that ended while the gateway was down', async () => {
    f = await EngineFixture.create(PUMP_RULE);
    f.reading('pump-1', { outlet_pressure_bar: 1.2, running: true });
    await f.engine.stop();
    f.clock.advance(45 * S);
    await f.start();
    await f.engine.idle();
    expect(f.engine.list()).toHaveLength(1);
    expect(f.events()).toEqual(['fired:pump-1']);
  });

  it('keeps the old rules when a reload is invalid, and says why', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
    const result = f.engine.reload([
      { template: 'door-forced' },
      { id: 'x', when: { field: 'a', above: 'high' }, severity: 'major', team: 't' },
      { id: 'y', match: { devices: ['nope'] }, when: { event: 'e' }, severity: 'minor', team: 't' },
    ]);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      { path: 'rules.1.when.above', message: expect.stringMatching(/expected number/) },
      { path: 'rules.2.match.devices.0', message: '"nope" is not a device in this config' },
    ]);
    expect(f.engine.rules().map((r) => r.id)).toEqual(['door-forced']);
    f.event('door-1', 'door.forced');
    await f.advance(S);
    expect(f.events()).toEqual(['fired:door-1']);
  });

  it('applies a valid reload: a new rule works, an open alert of a removed rule resolves', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
    f.event('door-1', 'door.forced');
    await f.advance(S);
    const result = f.engine.reload([{ template: 'camera-tamper' }]);
    expect(result).toEqual({
      ok: true,
      rules: 1,
      added: ['camera-tamper'],
      changed: [],
      removed: ['door-forced'],
    });
    expect(f.engine.list()[0]).toMatchObject({ state: 'resolved', resolvedBy: null });
    f.event('cam-1', 'video.loss');
    f.event('door-1', 'door.forced');
    await f.advance(S);
    expect(f.engine.list({ state: 'active' }).map((a) => a.rule)).toEqual(['camera-tamper']);
  });

  it('counts response times and device availability for the KPI', async () => {
    f = await EngineFixture.create(`rules:\n  - template: door-forced\n  - template: lift-entrapment\n`);
    const start = f.clock.now();
    f.status('pump-1', true);
    f.event('door-1', 'door.forced');
    f.event('lift-1', 'elevator.entrapment');
    await f.advance(60 * S);
    const lift = f.engine.list({ rule: 'lift-entrapment' })[0];
    const door = f.engine.list({ rule: 'door-forced' })[0];
    f.engine.acknowledge(door!.id, 'duty');
    await f.advance(60 * S);
    f.engine.acknowledge(lift!.id, 'duty');
    f.status('pump-1', false);
    await f.advance(120 * S);
    f.engine.resolve(lift!.id, 'duty');
    const kpi = f.engine.kpi(start, f.clock.now());
    expect(kpi.alerts).toMatchObject({
      count: 2,
      acknowledged: 2,
      resolved: 1,
      meanTimeToAckMs: 90 * S,
      p90TimeToAckMs: 120 * S,
    });
    expect(kpi.byTeam.elevator).toMatchObject({ count: 1, meanTimeToResolveMs: 240 * S });
    expect(kpi.bySeverity.major).toMatchObject({ count: 1, meanTimeToAckMs: 60 * S });
    expect(kpi.devices.find((d) => d.device === 'pump-1')).toMatchObject({
      availability: 0.5,
      onlineMs: 120 * S,
    });
    expect(kpi.devices.find((d) => d.device === 'lift-1')!.availability).toBeNull();
  });

  it('runs the timers of rules added by a reload on its own clock', async () => {
    f = await EngineFixture.create(`rules: []\n`, { extra: { timers: true, clock: systemClock } });
    f.engine.reload([
      {
        id: 'silent',
        match: { devices: ['lift-1'] },
        when: { absent: '300ms' },
        severity: 'info',
        team: 't',
      },
    ]);
    await new Promise((r) => setTimeout(r, 600));
    expect(f.engine.list().map((a) => [a.rule, a.device])).toEqual([['silent', 'lift-1']]);
  });
});
