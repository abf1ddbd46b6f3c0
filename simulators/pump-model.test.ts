import { describe, expect, it } from 'vitest';
import { createPumpModel, PUMP_FAULT_CODES, type PumpModel } from './pump-model.ts';

const daily = { utcOffsetMinutes: 0 };
const DAY = Date.UTC(2026, 5, 1);
const at = (h: number, m = 0) => DAY + h * 3_600_000 + m * 60_000;

/** A model run from `from` to `to` in one-second polls, returning the last values. */
function run(model: PumpModel, from: number, to: number) {
  for (let t = from; t <= to; t += 1000) model.step(t);
  return model.values();
}

function booster(seed = 1, startAt = at(7, 30)) {
  return createPumpModel({ kind: 'booster', seed, startAt, daily });
}

describe('booster pump physics', () => {
  it('holds about 4 bar at the morning peak, running at a frequency that follows demand', () => {
    const morning = booster();
    const peak = run(morning, at(7, 30), at(8));
    expect(peak.running).toBe(true);
    expect(peak.outlet_pressure_bar).toBeGreaterThan(3.7);
    expect(peak.outlet_pressure_bar).toBeLessThan(4.3);
    expect(peak.flow_m3h).toBeGreaterThan(25);
    const midday = booster(1, at(12, 30));
    const quiet = run(midday, at(12, 30), at(13));
    expect(quiet.flow_m3h).toBeLessThan((peak.flow_m3h as number) / 2);
    expect(quiet.frequency_hz).toBeLessThan(peak.frequency_hz as number);
    expect(quiet.motor_current_a).toBeLessThan(peak.motor_current_a as number);
  });

  it('sleeps through the night, waking when the vessel pressure sags', () => {
    const night = booster(2, at(3));
    let wakes = 0;
    let wasRunning = false;
    let minPressure = Infinity;
    for (let t = at(3); t <= at(4); t += 1000) {
      night.step(t);
      const v = night.values();
      if (v.running && !wasRunning) wakes++;
      wasRunning = v.running as boolean;
      minPressure = Math.min(minPressure, v.outlet_pressure_bar as number);
      if (!v.running) expect(v.motor_current_a).toBe(0);
    }
    expect(wakes).toBeGreaterThan(0);
    expect(minPressure).toBeGreaterThan(2.5);
  });

  it('loses pressure while running when pressureLoss is on, and recovers when it is off', () => {
    const model = booster();
    run(model, at(7, 30), at(7, 40));
    model.faults.set('pressureLoss', true);
    const lost = run(model, at(7, 40), at(7, 41));
    expect(lost.running).toBe(true);
    expect(lost.outlet_pressure_bar).toBeLessThan(2.5);
    expect(lost.frequency_hz).toBeGreaterThan(48);
    model.faults.set('pressureLoss', false);
    expect(run(model, at(7, 41), at(7, 42)).outlet_pressure_bar).toBeGreaterThan(3.7);
  });

  it('trips on overcurrent with fault code 21 after a current spike, until reset', () => {
    const model = booster();
    run(model, at(7, 30), at(7, 40));
    model.faults.set('overcurrentTrip', true);
    model.step(at(7, 40) + 1000);
    const spike = model.values();
    expect(spike.motor_current_a).toBeGreaterThan(20);
    expect(spike.tripped).toBe(false);
    const tripped = run(model, at(7, 40) + 2000, at(7, 41));
    expect(tripped).toMatchObject({
      running: false,
      tripped: true,
      fault_code: PUMP_FAULT_CODES.overcurrent,
      motor_current_a: 0,
      frequency_hz: 0,
    });
    model.faults.set('overcurrentTrip', false);
    expect(run(model, at(7, 41), at(7, 42))).toMatchObject({ tripped: false, fault_code: 0, running: true });
  });

  it('replays the same from the same seed, and differs from another', () => {
    const a = run(booster(5), at(7, 30), at(7, 35));
    expect(run(booster(5), at(7, 30), at(7, 35))).toEqual(a);
    expect(run(booster(6), at(7, 30), at(7, 35))).not.toEqual(a);
  });

  it('skips a long pause instead of integrating it step by step', () => {
    const model = booster();
    const started = performance.now();
    model.step(at(7, 30) + 365 * 86_400_000);
    expect(performance.now() - started).toBeLessThan(200);
    expect(Number.isFinite(model.values().outlet_pressure_bar as number)).toBe(true);
  });
});

describe('drainage pump physics', () => {
  it('cycles its tank between the start (70 %) and stop (20 %) levels', () => {
    const model = createPumpModel({ kind: 'drainage', seed: 3, startAt: at(6), daily });
    let min = Infinity;
    let max = -Infinity;
    let starts = 0;
    let was = false;
    for (let t = at(6); t <= at(12); t += 5000) {
      model.step(t);
      const v = model.values();
      min = Math.min(min, v.tank_level_pct as number);
      max = Math.max(max, v.tank_level_pct as number);
      if (v.running && !was) starts++;
      was = v.running as boolean;
    }
    expect(starts).toBeGreaterThan(0);
    expect(min).toBeGreaterThan(18);
    expect(max).toBeLessThan(72);
  });

  it('keeps filling while blocked (pressureLoss) and raises the high-level alarm', () => {
    const model = createPumpModel({ kind: 'drainage', seed: 3, startAt: at(7), daily });
    model.faults.set('pressureLoss', true);
    const v = run(model, at(7), at(13));
    expect(v.tank_level_pct).toBeGreaterThan(90);
    expect(v.high_level_alarm).toBe(true);
    expect(v.running).toBe(true);
    expect(v.flow_m3h).toBeLessThan(3);
  });
});
