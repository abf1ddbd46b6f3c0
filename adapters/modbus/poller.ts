import { backoffDelayMs } from '../../gateway/backoff.ts';
import type { Clock } from '../../gateway/clock.ts';
import { errorMessage, isGatewayError } from '../../gateway/errors.ts';
import type { Logger } from '../../gateway/log.ts';
import type { Quality, Reading, Scalar, Status } from '../../gateway/types.ts';
import type { ModbusConnection } from './connection.ts';
import { decodeBlock } from './decode.ts';
import type { ReadRequest } from './plan.ts';

/** How one device's polling is going: what `ModbusAdapter.timing()` reports. */
export interface PollTiming {
  polls: number;
  failedPolls: number;
  /** Slots skipped because the previous poll was still running. */
  overruns: number;
  /** How late the last poll started against its slot, ms (timer and event-loop delay). */
  lastLateMs: number;
  maxLateMs: number;
  /** Slot to last reply, ms: includes waiting for the shared line. */
  lastDurationMs: number;
  maxDurationMs: number;
}

export interface PollerOptions {
  deviceId: string;
  unitId: number;
  pollMs: number;
  timeoutMs: number;
  offlineAfterFailures: number;
  backoffMaxMs: number;
  plan: readonly ReadRequest[];
  connection: ModbusConnection;
  clock: Clock;
  log: Logger;
  random: () => number;
  emitReading(reading: Reading): void;
  emitStatus(status: Status): void;
}

/**
 * Polls one device on its own fixed-rate schedule (slot k at start + k × pollMs, so a slow reply
 * delays one reading, never the ones after it). A poll that gets no answer at all is a failure;
 * after `offlineAfterFailures` of them the device is offline and is probed at backoff intervals
 * with low priority on the shared line, until it answers.
 */
export class DevicePoller {
  readonly timing: PollTiming = {
    polls: 0,
    failedPolls: 0,
    overruns: 0,
    lastLateMs: 0,
    maxLateMs: 0,
    lastDurationMs: 0,
    maxDurationMs: 0,
  };
  readonly #o: PollerOptions;
  #timer: NodeJS.Timeout | undefined;
  #slot = 0;
  #running: Promise<void> | undefined;
  #stopped = false;
  #online: boolean | undefined;
  #failures = 0;
  #probes = 0;
  #listenerError: string | undefined;
  /** Requests the device refuses with an exception, and which one: logged on change only. */
  readonly #refused = new Map<ReadRequest, string>();

  constructor(options: PollerOptions) {
    this.#o = options;
  }

  /** The connection this device is polled over. */
  get connectionKey(): string {
    return this.#o.connection.key;
  }

  get pollMs(): number {
    return this.#o.pollMs;
  }

  get online(): boolean | undefined {
    return this.#online;
  }

  start(delayMs: number): void {
    this.#schedule(this.#o.clock.now() + delayMs);
  }

  /** Stops the schedule; resolves when the poll in progress (if any) has settled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(at: number): void {
    if (this.#stopped) return;
    this.#slot = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - this.#o.clock.now()));
  }

  #fire(): void {
    const now = this.#o.clock.now();
    const slot = this.#slot;
    if (this.#running) this.timing.overruns++;
    else {
      this.timing.lastLateMs = now - slot;
      this.timing.maxLateMs = Math.max(this.timing.maxLateMs, now - slot);
      this.#running = this.#poll(slot)
        .catch((err: unknown) => this.#listenerFailed(err))
        .finally(() => (this.#running = undefined));
    }
    if (this.#online === false) {
      // Offline: the next probe after a backoff (rebased on the regular grid once it answers).
      this.#schedule(now + backoffDelayMs(++this.#probes, this.#backoff(), this.#o.random));
      return;
    }
    let next = slot + this.#o.pollMs;
    if (next <= now) next += Math.ceil((now - next + 1) / this.#o.pollMs) * this.#o.pollMs;
    this.#schedule(next);
  }

  /** Only a listener of our events can throw here; said once, the polling goes on. */
  #listenerFailed(err: unknown): void {
    if (this.#listenerError === errorMessage(err)) return;
    this.#listenerError = errorMessage(err);
    this.#o.log.error({ err, device: this.#o.deviceId }, `${this.#o.deviceId}: a reading listener failed`);
  }

  #backoff() {
    return { minMs: this.#o.pollMs, maxMs: Math.max(this.#o.pollMs, this.#o.backoffMaxMs) };
  }

  async #poll(slot: number): Promise<void> {
    const values: Record<string, Scalar> = {};
    const quality: Record<string, Quality> = {};
    let answered = false;
    let lastError: unknown;
    const lane = this.#failures > 0 ? 'probe' : 'normal';
    for (const request of this.#o.plan) {
      if (this.#stopped) return;
      // After a timeout or a lost connection the unit is not answering: the rest of this poll
      // would only hold the shared line longer.
      const giveUp = lastError !== undefined && !isGatewayError(lastError, 'CGW_MODBUS_EXCEPTION');
      let data: number[] | boolean[] | undefined;
      if (!giveUp) {
        try {
          data = await this.#o.connection.read({
            unitId: this.#o.unitId,
            table: request.table,
            address: request.address,
            count: request.count,
            timeoutMs: this.#o.timeoutMs,
            lane,
          });
          answered = true;
          this.#noteRequest(request, undefined);
        } catch (err) {
          lastError = err;
          this.#noteRequest(request, err);
        }
      }
      if (data) {
        for (const [field, decoded] of decodeBlock(request.entries, request.address, data)) {
          if (decoded.ok) values[field] = decoded.value;
          else quality[field] = 'missing';
        }
      } else for (const entry of request.entries) quality[entry.field] = 'missing';
    }
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    this.timing.polls++;
    this.timing.lastDurationMs = now - slot;
    this.timing.maxDurationMs = Math.max(this.timing.maxDurationMs, now - slot);
    if (answered) this.#answered(now, values, quality);
    else this.#failed(now, lastError);
  }

  #answered(now: number, values: Record<string, Scalar>, quality: Record<string, Quality>): void {
    const wasOffline = this.#online === false;
    this.#failures = 0;
    this.#probes = 0;
    if (this.#online !== true) {
      this.#online = true;
      this.#o.emitStatus({ deviceId: this.#o.deviceId, ts: now, online: true, reason: 'answering' });
    }
    const reading: Reading = { deviceId: this.#o.deviceId, ts: now, values };
    if (Object.keys(quality).length) reading.quality = quality;
    this.#o.emitReading(reading);
    if (wasOffline) {
      // Back on the regular grid from now on.
      clearTimeout(this.#timer);
      this.#schedule(now + this.#o.pollMs);
    }
  }

  #failed(now: number, err: unknown): void {
    this.timing.failedPolls++;
    this.#failures++;
    if (this.#failures >= this.#o.offlineAfterFailures && this.#online !== false) {
      this.#online = false;
      const reason = `${errorMessage(err)} (${this.#failures} polls failed)`;
      this.#o.emitStatus({ deviceId: this.#o.deviceId, ts: now, online: false, reason });
    }
  }

  /**
   * A request refused with an exception while the device answers the others (a map naming a
   * table the device lacks) is logged when that starts and when it stops, not every poll. A
   * device that stops answering altogether is reported by its status instead.
   */
  #noteRequest(request: ReadRequest, err: unknown): void {
    const refused = isGatewayError(err, 'CGW_MODBUS_EXCEPTION') ? err.message : undefined;
    const before = this.#refused.get(request);
    if (refused === before) return;
    const where = `${this.#o.deviceId}: ${request.table} ${request.address}+${request.count}`;
    const context = { device: this.#o.deviceId, table: request.table, address: request.address };
    if (refused === undefined) {
      this.#refused.delete(request);
      if (err === undefined) this.#o.log.info(context, `${where} answers again`);
    } else {
      this.#refused.set(request, refused);
      this.#o.log.warn(context, `${where}: ${refused}; its fields are missing`);
    }
  }
}
