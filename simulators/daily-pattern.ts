/**
 * A residential community's daily rhythm. Residents leave for work 07:00-09:00 and come home
 * 18:00-21:00; nights are quiet. Doors, lifts (and later pumps: water demand follows the same
 * curve) scale their activity by `demandAt`, so a demo at 08:00 looks busy and one at 03:00 does not.
 */

export interface DailyPatternOptions {
  /**
   * Offset of the community's local time from UTC, in minutes (Beijing: 480). Without it the
   * process's own time zone is used, which is what a gateway in the estate's equipment room runs in.
   */
  utcOffsetMinutes?: number;
}

const MORNING_PEAK_H = 8;
const EVENING_PEAK_H = 19.5;

/** Fractional local hour of the day in [0, 24). */
export function hourOfDay(time: Date | number, options: DailyPatternOptions = {}): number {
  const date = typeof time === 'number' ? new Date(time) : time;
  if (options.utcOffsetMinutes === undefined) {
    return date.getHours() + date.getMinutes() / 60 + date.getSeconds() / 3600;
  }
  const minutes = (date.getTime() / 60_000 + options.utcOffsetMinutes) % 1440;
  return ((minutes + 1440) % 1440) / 60;
}

/** Bell curve with height 1 at `centre`, hours apart measured around the clock. */
function bump(hour: number, centre: number, width: number): number {
  const raw = Math.abs(hour - centre);
  const d = Math.min(raw, 24 - raw);
  return Math.exp(-(d * d) / (2 * width * width));
}

/** 0 at night, 1 while the community is awake (06:00-23:00), with soft edges. */
function awake(hour: number): number {
  const rise = 1 / (1 + Math.exp(-(hour - 6) * 3));
  const fall = 1 / (1 + Math.exp((hour - 23) * 3));
  return rise * fall;
}

/**
 * Activity in [0, 1]: about 1 at the morning peak (08:00), about 0.95 in the evening (19:30),
 * about 0.25 in the middle of the day and under 0.05 at night.
 */
export function demandAt(time: Date | number, options: DailyPatternOptions = {}): number {
  const h = hourOfDay(time, options);
  const value =
    0.03 + 0.2 * awake(h) + 0.77 * bump(h, MORNING_PEAK_H, 0.7) + 0.72 * bump(h, EVENING_PEAK_H, 1.0);
  return Math.min(1, Math.max(0, value));
}

/** Where lift passengers are going, as probabilities that add up to 1. */
export interface TrafficFlow {
  /** From an upper floor down to the lobby (the morning rush). */
  toLobby: number;
  /** From the lobby up to a home (the evening return). */
  fromLobby: number;
  /** Between two upper floors (visits, the gym, the roof garden). */
  interfloor: number;
}

/** Morning: mostly down to the lobby; evening: mostly up from it; otherwise balanced. */
export function flowAt(time: Date | number, options: DailyPatternOptions = {}): TrafficFlow {
  const h = hourOfDay(time, options);
  const morning = bump(h, MORNING_PEAK_H, 0.9);
  const evening = bump(h, EVENING_PEAK_H, 1.2);
  const toLobby = Math.max(0.05, 0.45 + 0.45 * morning - 0.3 * evening);
  const fromLobby = Math.max(0.05, 0.45 + 0.45 * evening - 0.3 * morning);
  const interfloor = 0.1;
  const total = toLobby + fromLobby + interfloor;
  return { toLobby: toLobby / total, fromLobby: fromLobby / total, interfloor: interfloor / total };
}

/**
 * Arrivals (people at a door, lift calls) as a Poisson process whose rate follows the daily
 * pattern: candidates at the peak rate, each kept with probability `demandAt` (thinning), which
 * is exact for a rate that changes over the day.
 */
export class DailyArrivals {
  readonly #meanGapMs: number;
  readonly #random: { exponential(mean: number): number; chance(p: number): boolean };
  readonly #options: DailyPatternOptions;
  #nextCandidate: number;

  constructor(
    random: { exponential(mean: number): number; chance(p: number): boolean },
    peakPerHour: number,
    startAt: number,
    options: DailyPatternOptions = {},
  ) {
    this.#random = random;
    this.#meanGapMs = peakPerHour > 0 ? 3_600_000 / peakPerHour : Infinity;
    this.#options = options;
    this.#nextCandidate = startAt + random.exponential(this.#meanGapMs);
  }

  /**
   * Arrival times up to and including `now`, oldest first, at most `max`: after a long jump in
   * time (a paused process) the backlog is dropped rather than replayed all at once.
   */
  take(now: number, max = 50): number[] {
    const out: number[] = [];
    if (!Number.isFinite(this.#meanGapMs)) return out;
    for (let i = 0; i < max * 20 && this.#nextCandidate <= now; i++) {
      const t = this.#nextCandidate;
      this.#nextCandidate = t + this.#random.exponential(this.#meanGapMs);
      if (this.#random.chance(demandAt(t, this.#options))) out.push(t);
      if (out.length >= max) break;
    }
    if (this.#nextCandidate <= now) this.#nextCandidate = now + this.#random.exponential(this.#meanGapMs);
    return out;
  }
}
