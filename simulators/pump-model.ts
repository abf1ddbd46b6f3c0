import { demandAt, type DailyPatternOptions } from './daily-pattern.ts';
import { FaultSwitches } from './device-simulator.ts';
import { createRandom, type Random } from './random.ts';

/**
 * The physics of a simulated pump, apart from any protocol: a booster set's VFD pump keeping the
 * building's pressure up, or a drainage pump emptying a sump tank. Stepped with model time.
 */
export type PumpModelKind = 'booster' | 'drainage';

/** Faults of the pump itself (the Modbus server's own faults live in the simulator). */
export const PUMP_MODEL_FAULTS = ['pressureLoss', 'overcurrentTrip'] as const;
export type PumpModelFault = (typeof PUMP_MODEL_FAULTS)[number];

/** `fault_code` values the simulated drive reports (0 = none). */
export const PUMP_FAULT_CODES = { none: 0, overcurrent: 21 } as const;

export interface PumpModelOptions {
  kind: PumpModelKind;
  seed: number;
  /** Model time at start, epoch ms. */
  startAt: number;
  daily?: DailyPatternOptions;
}

export interface PumpModel {
  readonly kind: PumpModelKind;
  readonly faults: FaultSwitches<PumpModelFault>;
  /** Advances to `now` (model time, epoch ms); earlier times are ignored. */
  step(now: number): void;
  /** Canonical pump fields (DESIGN.md) and the profiles' extra ones, by field name. */
  values(): Record<string, number | boolean>;
}

const RATED_FLOW_M3H = 36;
const RATED_CURRENT_A = 14;
const SETPOINT_BAR = 4;
/** Shut-off head of the booster at 50 Hz, and the pipe loss coefficient (bar per (m³/h)²). */
const HEAD_BAR = 3.4;
const LOSS = 0.0008;
const TANK_M3 = 20;
const DRAIN_FLOW_M3H = 28;
/** How long an overcurrent builds before the drive trips, model ms. */
const TRIP_AFTER_MS = 1500;
/** Longest single integration step, and the most steps one `step` call takes (a long pause is skipped). */
const MAX_DT_S = 1;
const MAX_STEPS = 3600;

export function createPumpModel(options: PumpModelOptions): PumpModel {
  const random: Random = createRandom(options.seed);
  const faults = new FaultSwitches<PumpModelFault>(PUMP_MODEL_FAULTS);
  const s = {
    t: options.startAt,
    running: false,
    runningSince: options.startAt,
    tripped: false,
    overcurrentSince: undefined as number | undefined,
    frequency: 0,
    flow: 0,
    inlet: 1.8,
    outlet: SETPOINT_BAR,
    current: 0,
    temp: 24 + random.uniform(0, 4),
    energy: random.uniform(1000, 50_000),
    level: random.uniform(30, 60),
    noise: 0,
  };

  const advance = (dt: number): void => {
    s.t += dt * 1000;
    for (const { name, on } of faults.drain()) {
      if (name === 'overcurrentTrip') {
        s.overcurrentSince = on ? s.t : undefined;
        if (!on) s.tripped = false; // a reset on the drive's panel
      }
    }
    if (s.overcurrentSince !== undefined && !s.tripped && s.t - s.overcurrentSince >= TRIP_AFTER_MS)
      s.tripped = true;
    // Slow, correlated noise: instruments wander, they do not jump.
    s.noise += (random.normal(0, 1) - s.noise) * Math.min(1, dt / 5);
    if (options.kind === 'booster') stepBooster(dt);
    else stepDrainage(dt);
    const loadTemp = 25 + 45 * (s.current / RATED_CURRENT_A);
    s.temp += (loadTemp - s.temp) * Math.min(1, dt / 600);
    // 400 V three-phase at cos φ 0.85: P = √3 · U · I · cos φ.
    s.energy += ((Math.sqrt(3) * 400 * s.current * 0.85) / 1000) * (dt / 3600);
  };

  const stepBooster = (dt: number): void => {
    const demand = demandAt(s.t, options.daily);
    const wanted = RATED_FLOW_M3H * demand * (1 + 0.05 * s.noise);
    // Sleep mode: at night's trickle the drive stops and the pressure vessel covers the draw
    // until its pressure sags; then the pump wakes for a minute or more.
    if (!s.running && (wanted > 2.5 || s.outlet < SETPOINT_BAR - 0.8)) {
      s.running = true;
      s.runningSince = s.t;
    } else if (s.running && wanted < 1.5 && s.outlet >= SETPOINT_BAR - 0.1 && s.t - s.runningSince > 60_000)
      s.running = false;
    const running = s.running && !s.tripped;
    const burst = faults.has('pressureLoss');
    s.flow = running ? wanted * (burst ? 1.8 : 1) : 0;
    s.inlet = 1.8 - 0.008 * s.flow + 0.02 * s.noise;
    // The VFD holds the set point: the frequency whose head covers lift and pipe loss.
    const needed = SETPOINT_BAR - s.inlet + LOSS * s.flow * s.flow;
    const target = running ? (burst ? 50 : clamp(50 * Math.sqrt(Math.max(0, needed) / HEAD_BAR), 20, 50)) : 0;
    s.frequency += (target - s.frequency) * Math.min(1, dt / 2);
    const head = HEAD_BAR * (s.frequency / 50) ** 2 - LOSS * s.flow * s.flow;
    const pumped = s.inlet + head + 0.03 * s.noise;
    if (running && burst) s.outlet = s.inlet + 0.3 + 0.05 * s.noise;
    // The check valve holds the vessel's pressure until the pump's head exceeds it.
    else if (running && pumped > s.outlet) s.outlet += (pumped - s.outlet) * Math.min(1, dt);
    else s.outlet += (s.inlet - s.outlet) * Math.min(1, dt / 600); // the vessel slowly empties
    const load = 0.4 + 0.6 * (s.flow / RATED_FLOW_M3H);
    s.current = running ? motorCurrent(s.frequency, load) : 0;
  };

  const stepDrainage = (dt: number): void => {
    // Waste water follows the water the residents drew about twenty minutes earlier.
    const inflow = 2 + 10 * demandAt(s.t - 20 * 60_000, options.daily) * (1 + 0.1 * s.noise);
    if (!s.running && s.level >= 70) s.running = true;
    else if (s.running && s.level <= 20) s.running = false;
    const running = s.running && !s.tripped;
    const blocked = faults.has('pressureLoss'); // air-locked or blocked: turning, not pumping
    s.flow = running ? DRAIN_FLOW_M3H * (blocked ? 0.05 : 1) * (1 + 0.03 * s.noise) : 0;
    s.frequency = running ? 50 : 0;
    s.level = clamp(s.level + (((inflow - s.flow) / TANK_M3) * 100 * dt) / 3600, 0, 100);
    s.current = running ? (blocked ? 4.5 : 9) * (1 + 0.02 * s.noise) : 0;
  };

  return {
    kind: options.kind,
    faults,
    step(now) {
      const steps = Math.ceil((now - s.t) / 1000 / MAX_DT_S);
      if (steps <= 0) return;
      if (steps > MAX_STEPS) s.t = now - MAX_STEPS * MAX_DT_S * 1000;
      const dt = (now - s.t) / 1000 / Math.min(steps, MAX_STEPS);
      for (let i = 0; i < Math.min(steps, MAX_STEPS); i++) advance(dt);
      s.t = now;
    },
    values() {
      const overcurrent = s.overcurrentSince !== undefined && !s.tripped;
      const current = s.tripped ? 0 : overcurrent ? RATED_CURRENT_A * 1.8 : s.current;
      const running = s.running && !s.tripped;
      const common = {
        running,
        tripped: s.tripped,
        fault_code: s.tripped ? PUMP_FAULT_CODES.overcurrent : PUMP_FAULT_CODES.none,
        flow_m3h: round(s.flow, 2),
        motor_current_a: round(current, 2),
        frequency_hz: round(s.tripped ? 0 : s.frequency, 1),
        motor_temp_c: round(s.temp, 1),
        energy_kwh: round(s.energy, 1),
      };
      if (options.kind === 'drainage')
        return {
          ...common,
          tank_level_pct: round(s.level, 2),
          high_level_alarm: s.level > 90,
          auto_mode: true,
        };
      return {
        ...common,
        outlet_pressure_bar: round(s.outlet, 3),
        inlet_pressure_bar: round(s.inlet, 3),
        pressure_setpoint_bar: SETPOINT_BAR,
        remote_enabled: true,
        low_suction: s.inlet < 0.8,
      };
    },
  };
}

/** Magnetising current plus a load share that grows with the cube of speed (affinity laws). */
function motorCurrent(frequency: number, load: number): number {
  const speed = frequency / 50;
  return 0.15 * RATED_CURRENT_A * speed + 0.85 * RATED_CURRENT_A * speed ** 3 * load;
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, x));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
