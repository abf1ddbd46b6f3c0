import { describe, expect, it } from 'vitest';
import { isOn } from './evaluate.ts';
import { event, reading, RuleDriver, ruleOf, status, T0, tick } from './test-helpers.ts';

const S = 1000;

describe('threshold', () => {
  const rule = ruleOf({ when: { field: 'temp', above: 90, clear: 80, for: '30s' } });

  it('fires once the value has been above for `for`, to the second, not before', () => {
    const d = new RuleDriver(rule);
    expect(d.at(T0, reading({ temp: 95 }))).toEqual([]);
    expect(d.last!.due).toBe(T0 + 30 * S);
    expect(d.at(T0 + 10 * S, reading({ temp: 96 }))).toEqual([]);
    expect(d.at(T0 + 30 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 30 * S, tick)).toEqual(['fire']);
    expect(d.last!.transitions[0]).toMatchObject({ field: 'temp', value: 96, manual: false });
    expect(d.at(T0 + 31 * S, tick)).toEqual([]);
  });

  it('clears only past the clear level (hysteresis)', () => {
    const d = new RuleDriver(ruleOf({ when: { field: 'temp', above: 90, clear: 80 } }));
    expect(d.at(T0, reading({ temp: 91 }))).toEqual(['fire']);
    expect(d.at(T0 + S, reading({ temp: 85 }))).toEqual(['value']);
    expect(d.at(T0 + 2 * S, reading({ temp: 81 }))).toEqual(['value']);
    expect(d.at(T0 + 3 * S, reading({ temp: 80 }))).toEqual(['clear']);
    // Back between the levels: not enough to fire again.
    expect(d.at(T0 + 4 * S, reading({ temp: 89 }))).toEqual([]);
    expect(d.at(T0 + 5 * S, reading({ temp: 90.5 }))).toEqual(['fire']);
  });

  it('restarts the `for` window when the value dips below the level before it ends', () => {
    const d = new RuleDriver(rule);
    d.at(T0, reading({ temp: 95 }));
    expect(d.at(T0 + 20 * S, reading({ temp: 85 }))).toEqual([]);
    expect(d.at(T0 + 25 * S, reading({ temp: 95 }))).toEqual([]);
    expect(d.at(T0 + 30 * S, tick)).toEqual([]);
    expect(d.at(T0 + 55 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 55 * S, tick)).toEqual(['fire']);
  });

  it('works downwards with below, and ignores values of missing quality and other types', () => {
    const d = new RuleDriver(ruleOf({ when: { field: 'p', below: 2, clear: 2.3 } }));
    expect(
      d.at(T0, {
        type: 'reading',
        reading: { deviceId: 'd', ts: 0, values: { p: 0 }, quality: { p: 'missing' } },
      }),
    ).toEqual([]);
    expect(d.at(T0, reading({ p: 'low' }))).toEqual([]);
    expect(d.at(T0, reading({ other: 1 }))).toEqual([]);
    expect(d.at(T0 + S, reading({ p: 1.9 }))).toEqual(['fire']);
    expect(d.at(T0 + 2 * S, reading({ p: 2.2 }))).toEqual(['value']);
    expect(d.at(T0 + 3 * S, reading({ p: 2.3 }))).toEqual(['clear']);
  });

  it('marks only timer and on/off changes as durable', () => {
    const d = new RuleDriver(rule);
    d.at(T0, reading({ temp: 95 }));
    expect(d.last!.durable).toBe(true);
    d.at(T0 + S, reading({ temp: 97 }));
    expect(d.last!.durable).toBe(false);
    d.at(T0 + 30 * S, tick);
    expect(d.last!.durable).toBe(true);
  });
});

describe('equals', () => {
  it('fires when a field has had a value for `for`', () => {
    const d = new RuleDriver(ruleOf({ when: { field: 'door_open', equals: true, for: '2m' } }));
    expect(d.at(T0, reading({ door_open: true }))).toEqual([]);
    expect(d.at(T0 + 120 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 120 * S, tick)).toEqual(['fire']);
    expect(d.at(T0 + 121 * S, reading({ door_open: false }))).toEqual(['clear']);
  });
});

describe('event', () => {
  it('fires on each matching event, manually resolved, and checks `where`', () => {
    const d = new RuleDriver(ruleOf({ when: { event: ['door.forced', 'tamper'], where: { zone: 'east' } } }));
    expect(d.at(T0, event('door.forced', { zone: 'west' }))).toEqual([]);
    expect(d.at(T0, event('access.granted', { zone: 'east' }))).toEqual([]);
    expect(d.at(T0, event('door.forced', { zone: 'east' }))).toEqual(['fire']);
    expect(d.last!.transitions[0]).toMatchObject({ manual: true, value: 'door.forced' });
    expect(d.at(T0 + S, event('tamper', { zone: 'east' }))).toEqual(['fire']);
    expect(d.at(T0 + 3600 * S, tick)).toEqual([]);
  });
});

describe('absent', () => {
  it('fires after silence of the given length, counted from start, and clears when heard from', () => {
    const d = new RuleDriver(ruleOf({ when: { absent: '5m' } }));
    expect(d.at(T0 + 60 * S, reading({ x: 1 }))).toEqual([]);
    expect(d.last!.due).toBe(T0 + 360 * S);
    expect(d.at(T0 + 360 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 360 * S, tick)).toEqual(['fire']);
    expect(d.at(T0 + 400 * S, status(false))).toEqual([]);
    expect(d.at(T0 + 401 * S, event('motion'))).toEqual(['clear']);
  });
});

describe('offline', () => {
  it('fires when reported offline for `for` and clears on any sign of life', () => {
    const d = new RuleDriver(ruleOf({ when: { offline: true, for: '1m' } }));
    expect(d.at(T0, status(false))).toEqual([]);
    expect(d.at(T0 + 30 * S, status(true))).toEqual([]);
    expect(d.at(T0 + 40 * S, status(false))).toEqual([]);
    expect(d.at(T0 + 100 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 100 * S, tick)).toEqual(['fire']);
    expect(d.at(T0 + 101 * S, reading({ x: 1 }))).toEqual(['clear']);
  });
});

describe('rate of change', () => {
  it('fires when a value falls by the amount within the window and clears as the window slides', () => {
    const d = new RuleDriver(ruleOf({ when: { field: 'level', rate: { over: '5m', fallsBy: 10 } } }));
    expect(d.at(T0, reading({ level: 60 }))).toEqual([]);
    expect(d.at(T0 + 60 * S, reading({ level: 55 }))).toEqual([]);
    expect(d.at(T0 + 120 * S, reading({ level: 50.5 }))).toEqual([]);
    expect(d.at(T0 + 130 * S, reading({ level: 50 }))).toEqual(['fire']);
    // The 60 sample leaves the window at T0 + 5 m: 55 → 50 is only 5.
    expect(d.at(T0 + 300 * S, tick)).toEqual([]);
    expect(d.last!.due).toBe(T0 + 300 * S + 1);
    expect(d.at(T0 + 300 * S + 1, tick)).toEqual(['clear']);
  });

  it('fires on a rise too, and keeps a bounded number of samples for a chatty device', () => {
    const d = new RuleDriver(
      ruleOf({ when: { field: 'amps', rate: { over: '10s', risesBy: 5 }, for: '1s' } }),
    );
    for (let i = 0; i < 1000; i++) d.at(T0 + i * 10, reading({ amps: 10 + i / 200 }));
    expect(d.state.t === 'rate' && d.state.samples.length).toBeLessThanOrEqual(70);
    expect(d.at(T0 + 10_000, reading({ amps: 16 }))).toEqual([]);
    expect(d.at(T0 + 11_000, reading({ amps: 16.5 }))).toEqual(['fire']);
  });
});

describe('all / any', () => {
  it('all: every part must hold, then for `for`; the pressure is the value shown', () => {
    const d = new RuleDriver(ruleOf({ template: 'pump-low-pressure', params: { below: 2, for: '30s' } }));
    expect(d.at(T0, reading({ outlet_pressure_bar: 1.5, running: false }))).toEqual([]);
    expect(d.at(T0 + 10 * S, reading({ outlet_pressure_bar: 1.5, running: true }))).toEqual([]);
    expect(d.at(T0 + 40 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 40 * S, tick)).toEqual(['fire']);
    expect(d.last!.transitions[0]).toMatchObject({ field: 'outlet_pressure_bar', value: 1.5 });
    // Hysteresis of the pressure part: 2.1 is not enough, 2.2 is.
    expect(d.at(T0 + 41 * S, reading({ outlet_pressure_bar: 2.1, running: true }))).toEqual(['value']);
    expect(d.at(T0 + 42 * S, reading({ outlet_pressure_bar: 2.2, running: true }))).toEqual(['clear']);
  });

  it('all: a stopped pump is not a pressure alert', () => {
    const d = new RuleDriver(ruleOf({ template: 'pump-low-pressure', params: { for: '0s' } }));
    expect(d.at(T0, reading({ outlet_pressure_bar: 0, running: false }))).toEqual([]);
    expect(d.at(T0 + S, reading({ running: true }))).toEqual(['fire']);
    expect(d.at(T0 + 2 * S, reading({ running: false }))).toEqual(['clear']);
  });

  it('any: the lift entrapment fires on its event at once, or on the stuck car after `for`', () => {
    const d = new RuleDriver(ruleOf({ template: 'lift-entrapment', params: { for: '60s' } }));
    expect(d.at(T0, event('elevator.entrapment'))).toEqual(['fire']);
    expect(d.last!.transitions[0]).toMatchObject({ manual: true });
    const stuck = { load_kg: 75, door_open: false, moving: false };
    expect(d.at(T0 + S, reading(stuck))).toEqual([]);
    expect(d.at(T0 + 61 * S - 1, tick)).toEqual([]);
    expect(d.at(T0 + 61 * S, tick)).toEqual(['fire']);
    expect(d.last!.transitions[0]).toMatchObject({ manual: false, field: 'load_kg', value: 75 });
    expect(d.at(T0 + 62 * S, reading({ ...stuck, door_open: true }))).toEqual(['clear']);
    expect(d.at(T0 + 63 * S, reading({ load_kg: 0, door_open: false, moving: false }))).toEqual([]);
  });

  it('all with an event inside fires on the event only while the rest holds', () => {
    const d = new RuleDriver(
      ruleOf({ when: { all: [{ event: 'door.forced' }, { field: 'armed', equals: true }] } }),
    );
    expect(d.at(T0, event('door.forced'))).toEqual([]);
    d.at(T0 + S, reading({ armed: true }));
    expect(isOn(d.rule.when, d.state)).toBe(false);
    expect(d.at(T0 + 2 * S, event('door.forced'))).toEqual(['fire']);
  });

  it('keeps the very state objects a message did not change (nothing new to store or collect)', () => {
    const d = new RuleDriver(ruleOf({ template: 'lift-entrapment', params: { for: '60s' } }));
    const moving = { load_kg: 75, door_open: false, moving: true };
    d.at(T0, reading(moving));
    const before = d.state as Extract<typeof d.state, { t: 'any' }>;
    d.at(T0 + S, reading(moving));
    expect(d.state).toBe(before);
    expect(d.last!.durable).toBe(false);
    // The car stops: only the parts that changed are new, the others are shared.
    d.at(T0 + 2 * S, reading({ ...moving, moving: false }));
    const after = d.state as typeof before;
    expect(after).not.toBe(before);
    expect(after.children[0]).toBe(before.children[0]); // the entrapment event part
    const [load, door, stopped] = (after.children[1] as typeof before).children;
    const old = (before.children[1] as typeof before).children;
    expect(load).toBe(old[0]);
    expect(door).toBe(old[1]);
    expect(stopped).not.toBe(old[2]);
    expect(d.last!.durable).toBe(true); // the `for` window opened
  });
});
