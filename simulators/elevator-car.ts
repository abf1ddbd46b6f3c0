/**
 * The lift's physics and dispatching as pure functions, apart from the simulator's bookkeeping
 * of passengers, faults and messages, so each can be tested (and read) on its own.
 */

export type Direction = 'up' | 'down' | 'idle';

/** The car's motion: position in metres above the lowest floor, speed in m/s (never negative). */
export interface Motion {
  positionM: number;
  speedMps: number;
}

export interface MotionLimits {
  maxSpeedMps: number;
  accelMps2: number;
}

/** Below this distance the car is at a floor (levelling accuracy of a modern lift is ~5 mm). */
export const LEVEL_TOLERANCE_M = 0.005;
/** Slowest approach speed, so a discrete step never stalls a few millimetres short. */
const CREEP_MPS = 0.05;

/**
 * One time step towards `targetM`: accelerate to rated speed, decelerate in time to stop at the
 * target (trapezoidal profile), never overshoot. Returns the new motion and whether it arrived.
 */
export function moveToward(
  motion: Motion,
  targetM: number,
  dtS: number,
  limits: MotionLimits,
): { motion: Motion; arrived: boolean } {
  const distance = Math.abs(targetM - motion.positionM);
  if (distance <= LEVEL_TOLERANCE_M) return { motion: { positionM: targetM, speedMps: 0 }, arrived: true };
  const sign = Math.sign(targetM - motion.positionM);
  const brakingM = (motion.speedMps * motion.speedMps) / (2 * limits.accelMps2);
  let speed =
    brakingM >= distance
      ? Math.max(CREEP_MPS, motion.speedMps - limits.accelMps2 * dtS)
      : Math.min(limits.maxSpeedMps, motion.speedMps + limits.accelMps2 * dtS);
  speed = Math.min(speed, limits.maxSpeedMps);
  const travel = speed * dtS;
  if (travel >= distance) return { motion: { positionM: targetM, speedMps: 0 }, arrived: true };
  return { motion: { positionM: motion.positionM + sign * travel, speedMps: speed }, arrived: false };
}

/** Metres the car needs to stop from its current speed. */
export function brakingDistance(speedMps: number, accelMps2: number): number {
  return (speedMps * speedMps) / (2 * accelMps2);
}

/**
 * Collective dispatching (the SCAN rule lifts have used for a century): keep going the way you
 * are while there is a stop ahead you can still brake for, otherwise turn round; when idle, go to
 * the nearest stop. Floors are indices 0..n-1 here; `stops` are the floors someone needs.
 */
export function nextStop(
  stops: ReadonlySet<number>,
  positionM: number,
  direction: Direction,
  floorHeightM: number,
  minAheadM = 0,
): number | undefined {
  if (stops.size === 0) return undefined;
  const sorted = [...stops].sort((a, b) => a - b);
  const at = (floor: number): number => floor * floorHeightM;
  if (direction === 'up') {
    const ahead = sorted.find((f) => at(f) - positionM >= minAheadM - LEVEL_TOLERANCE_M);
    if (ahead !== undefined) return ahead;
  } else if (direction === 'down') {
    const ahead = [...sorted].reverse().find((f) => positionM - at(f) >= minAheadM - LEVEL_TOLERANCE_M);
    if (ahead !== undefined) return ahead;
  }
  // Idle, or nothing left ahead: the nearest stop, the lower one on a tie.
  let best = sorted[0]!;
  for (const f of sorted) if (Math.abs(at(f) - positionM) < Math.abs(at(best) - positionM)) best = f;
  return best;
}

/** The floor index the car is at or nearest to (what the car's position indicator shows). */
export function nearestFloor(positionM: number, floorHeightM: number, floors: number): number {
  return Math.min(floors - 1, Math.max(0, Math.round(positionM / floorHeightM)));
}

/** True when the car is level with a floor (doors may open). */
export function isLevel(positionM: number, floorHeightM: number): boolean {
  const floor = Math.round(positionM / floorHeightM);
  return Math.abs(positionM - floor * floorHeightM) <= LEVEL_TOLERANCE_M;
}
