import type { Direction } from './elevator-car.ts';
import type { Random } from './random.ts';

/** Someone in the car or at a landing. Floors are indices 0..n-1. */
export interface Passenger {
  dest: number;
  kg: number;
  /** Squeezed in by the `overload` fault; leaves when it is switched off. */
  extra?: boolean;
}

const MAX_WAITING_PER_FLOOR = 15;
const MAX_IN_CAR = 30;

const towards = (from: number, to: number): Direction => (to > from ? 'up' : 'down');

/**
 * Who is in the car and who waits at which landing, with directional hall calls: a passenger
 * boards only a car going their way, as behind real up/down buttons.
 */
export class Passengers {
  car: Passenger[] = [];
  readonly waiting: Passenger[][];
  readonly #ratedLoadKg: number;

  constructor(floors: number, ratedLoadKg: number) {
    this.waiting = Array.from({ length: floors }, () => []);
    this.#ratedLoadKg = ratedLoadKg;
  }

  load(): number {
    return this.car.reduce((sum, p) => sum + p.kg, 0);
  }

  /** Real riders (not the overload crowd). */
  riders(): Passenger[] {
    return this.car.filter((p) => !p.extra);
  }

  waitingCount(): number {
    return this.waiting.reduce((sum, q) => sum + q.length, 0);
  }

  /** A new hall call; dropped when the landing is crowded (they take the stairs). */
  call(origin: number, dest: number, kg: number): void {
    const queue = this.waiting[origin];
    if (queue && origin !== dest && queue.length < MAX_WAITING_PER_FLOOR) queue.push({ dest, kg });
  }

  /** Floors someone needs: riders' destinations and, when `hall` is served, every waiting landing. */
  stops(hall: boolean): Set<number> {
    const s = new Set<number>();
    for (const p of this.riders()) s.add(p.dest);
    if (hall) this.waiting.forEach((q, f) => q.length && s.add(f));
    return s;
  }

  /**
   * The way the car will leave `floor`: towards its riders; else on the way it was going while
   * calls remain beyond; else the first waiting passenger's way; else back; else idle.
   */
  serviceDirection(floor: number, current: Direction, hall: boolean): Direction {
    const rider = this.riders().find((p) => p.dest !== floor);
    if (rider) return towards(floor, rider.dest);
    const beyond = (d: Direction): boolean =>
      hall && this.waiting.some((q, f) => q.length > 0 && f !== floor && towards(floor, f) === d);
    if (current !== 'idle' && beyond(current)) return current;
    const first = hall ? this.waiting[floor]?.[0] : undefined;
    if (first) return towards(floor, first.dest);
    if (current !== 'idle') {
      const back = current === 'up' ? 'down' : 'up';
      if (beyond(back)) return back;
    }
    return 'idle';
  }

  /** Worth stopping at `floor` going `d`: a rider gets off, or someone there goes that way. */
  wants(floor: number, d: Direction, hall: boolean): boolean {
    if (this.riders().some((p) => p.dest === floor)) return true;
    return hall && (this.waiting[floor] ?? []).some((p) => d === 'idle' || towards(floor, p.dest) === d);
  }

  /** Riders for `floor` get off (everyone, when `all`: fire service at the lobby). */
  alight(floor: number, all = false): void {
    this.car = this.car.filter((p) => !all && (p.extra || p.dest !== floor));
  }

  /** Those going `d` board in arrival order while the rated load allows; the rest wait. */
  board(floor: number, d: Direction): void {
    const queue = this.waiting[floor];
    if (!queue || d === 'idle') return;
    let load = this.load();
    for (let i = 0; i < queue.length && this.car.length < MAX_IN_CAR;) {
      const p = queue[i]!;
      if (towards(floor, p.dest) === d && load + p.kg <= this.#ratedLoadKg) {
        this.car.push(p);
        load += p.kg;
        queue.splice(i, 1);
      } else i++;
    }
  }

  /** The overload fault: a crowd pushes the load 8-20 % over rated; or leaves again. */
  overload(on: boolean, random: Random): void {
    const crowded = this.car.some((p) => p.extra);
    if (on && !crowded) {
      const goal = this.#ratedLoadKg * random.uniform(1.08, 1.2);
      for (let i = 0; i < 40 && this.load() <= goal; i++) {
        this.car.push({ dest: -1, kg: random.normal(75, 12, 45, 120), extra: true });
      }
    } else if (!on && crowded) this.car = this.car.filter((p) => !p.extra);
  }
}
