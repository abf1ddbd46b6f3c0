import { backoffDelayMs, type BackoffOptions } from '../../gateway/backoff.ts';
import { systemClock, type Clock } from '../../gateway/clock.ts';
import { formatDuration } from '../../gateway/duration.ts';
import { GatewayError } from '../../gateway/errors.ts';
import type { Logger } from '../../gateway/log.ts';
import { createModbusSerialClient, describeError, type ClientFactory, type ModbusClient } from './client.ts';
import { endpointKey, type ModbusEndpoint } from './config.ts';
import type { RegisterTable } from './register-map.ts';

/** Modbus exception codes (application protocol v1.1b3, section 7) as words. */
const EXCEPTIONS: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'device failure',
  5: 'acknowledge',
  6: 'device busy',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

/** The longest a probe waits behind normal requests before it goes first. */
const PROBE_MAX_WAIT_MS = 5000;

export interface ReadJob {
  unitId: number;
  table: RegisterTable;
  address: number;
  count: number;
  timeoutMs: number;
  /**
   * `probe` requests (for units that stopped answering) wait until no `normal` request is
   * queued: a dead unit gets the line only when the healthy ones do not need it.
   */
  lane: 'normal' | 'probe';
}

export interface ConnectionOptions {
  endpoint: ModbusEndpoint;
  log: Logger;
  backoff: BackoffOptions;
  connectTimeoutMs: number;
  /** Consecutive timeouts, with no answer from any unit in between, after which the transport is reopened. */
  reopenAfterTimeouts?: number;
  clientFactory?: ClientFactory;
  clock?: Clock;
  random?: () => number;
}

interface Queued {
  job: ReadJob;
  since: number;
  resolve: (data: number[] | boolean[]) => void;
  reject: (err: GatewayError) => void;
}

/**
 * One serialised connection to a Modbus TCP host:port or a serial line, shared by every unit id
 * behind it: one request in flight (serial buses and most TCP-to-RTU gateways allow no more), a
 * timeout per request, and reconnection with the gateway's backoff, driven by the requests
 * themselves (no timer runs while nobody asks). Errors are `GatewayError`s with CGW_MODBUS_* codes.
 */
export class ModbusConnection {
  readonly key: string;
  readonly stats = { requests: 0, timeouts: 0, exceptions: 0, connects: 0, drops: 0 };
  readonly #o: Required<Omit<ConnectionOptions, 'random'>> & { random: () => number };
  readonly #normal: Queued[] = [];
  readonly #probe: Queued[] = [];
  #client: ModbusClient | undefined;
  #busy = false;
  #stopped = false;
  #failedAttempts = 0;
  #nextAttemptAt = 0;
  #lastError = '';
  #downSince: number | undefined;
  #silentTimeouts = 0;
  #abortInFlight: ((err: GatewayError) => void) | undefined;
  #connecting: AbortController | undefined;

  constructor(options: ConnectionOptions) {
    this.key = endpointKey(options.endpoint);
    this.#o = {
      ...options,
      reopenAfterTimeouts: options.reopenAfterTimeouts ?? 3,
      clientFactory: options.clientFactory ?? createModbusSerialClient,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
    };
  }

  get connected(): boolean {
    return this.#client?.isOpen === true;
  }

  /** Requests waiting for the line (not counting the one in flight). */
  get queued(): number {
    return this.#normal.length + this.#probe.length;
  }

  read(job: ReadJob): Promise<number[] | boolean[]> {
    if (this.#stopped) return Promise.reject(this.#error('CGW_MODBUS_DISCONNECTED', 'adapter stopped'));
    return new Promise((resolve, reject) => {
      const item = { job, since: this.#o.clock.now(), resolve, reject };
      (job.lane === 'probe' ? this.#probe : this.#normal).push(item);
      this.#next();
    });
  }

  /** Fails everything queued, drops the transport. Idempotent. */
  async close(): Promise<void> {
    this.#stopped = true;
    const stopped = this.#error('CGW_MODBUS_DISCONNECTED', 'adapter stopped');
    for (const q of [...this.#normal.splice(0), ...this.#probe.splice(0)]) q.reject(stopped);
    this.#abortInFlight?.(stopped);
    this.#connecting?.abort();
    this.#client?.close();
    this.#client = undefined;
  }

  #next(): void {
    if (this.#busy) return;
    // A probe waits for the healthy units, but not for ever on a line they keep busy.
    const oldProbe = this.#probe[0];
    const starving = oldProbe && this.#o.clock.now() - oldProbe.since > PROBE_MAX_WAIT_MS;
    const item = (starving ? this.#probe.shift() : undefined) ?? this.#normal.shift() ?? this.#probe.shift();
    if (!item) return;
    this.#busy = true;
    this.#run(item.job).then(item.resolve, (err: unknown) =>
      item.reject(
        err instanceof GatewayError ? err : this.#error('CGW_MODBUS_BAD_REPLY', describeError(err)),
      ),
    );
  }

  async #run(job: ReadJob): Promise<number[] | boolean[]> {
    try {
      const client = await this.#ready();
      this.stats.requests++;
      const data = await this.#exchange(client, job);
      this.#silentTimeouts = 0;
      return data;
    } finally {
      this.#busy = false;
      this.#abortInFlight = undefined;
      // The next request starts on a fresh tick: a long queue never grows the stack.
      setImmediate(() => this.#next());
    }
  }

  async #ready(): Promise<ModbusClient> {
    if (this.#stopped) throw this.#error('CGW_MODBUS_DISCONNECTED', 'adapter stopped');
    if (this.#client?.isOpen) return this.#client;
    if (this.#client) this.#drop(this.#client, 'connection lost');
    const now = this.#o.clock.now();
    if (now < this.#nextAttemptAt) {
      const wait = formatDuration(this.#nextAttemptAt - now);
      throw this.#error('CGW_MODBUS_DISCONNECTED', `${this.#lastError} (next attempt in ${wait})`);
    }
    const client = this.#o.clientFactory(this.#o.endpoint);
    const abort = new AbortController();
    this.#connecting = abort;
    const timer = setTimeout(() => abort.abort(), this.#o.connectTimeoutMs);
    try {
      await client.open(abort.signal);
    } catch (err) {
      client.close();
      if (this.#stopped) throw this.#error('CGW_MODBUS_DISCONNECTED', 'adapter stopped');
      this.#failedAttempts++;
      this.#nextAttemptAt =
        this.#o.clock.now() + backoffDelayMs(this.#failedAttempts, this.#o.backoff, this.#o.random);
      const reason = describeError(err);
      if (this.#failedAttempts === 1 && this.#downSince === undefined)
        this.#o.log.warn(
          { endpoint: this.key },
          `cannot connect to ${this.key}: ${reason}; retrying with backoff`,
        );
      this.#downSince ??= now;
      this.#lastError = reason;
      throw this.#error('CGW_MODBUS_DISCONNECTED', reason);
    } finally {
      clearTimeout(timer);
      this.#connecting = undefined;
    }
    if (this.#stopped) {
      client.close();
      throw this.#error('CGW_MODBUS_DISCONNECTED', 'adapter stopped');
    }
    client.onLost((reason) => this.#drop(client, reason));
    this.#client = client;
    this.stats.connects++;
    if (this.#downSince !== undefined) {
      const away = formatDuration(this.#o.clock.now() - this.#downSince);
      this.#o.log.info({ endpoint: this.key }, `connected to ${this.key} again after ${away}`);
    } else this.#o.log.debug({ endpoint: this.key }, `connected to ${this.key}`);
    this.#failedAttempts = 0;
    this.#downSince = undefined;
    return client;
  }

  /**
   * The transport went away: forget it; the next request reconnects at once, then with backoff.
   * A `precaution` (reopening after silence) is not news: it is not logged as a loss.
   */
  #drop(client: ModbusClient, reason: string, precaution = false): void {
    if (this.#client !== client) return;
    client.close();
    this.#client = undefined;
    this.stats.drops++;
    this.#nextAttemptAt = 0;
    this.#lastError = reason;
    if (precaution) this.#o.log.debug({ endpoint: this.key }, `reopening ${this.key}: ${reason}`);
    else if (!this.#stopped) {
      this.#downSince = this.#o.clock.now();
      this.#o.log.warn({ endpoint: this.key }, `connection to ${this.key} lost: ${reason}`);
    }
    this.#abortInFlight?.(this.#error('CGW_MODBUS_DISCONNECTED', reason));
  }

  #exchange(client: ModbusClient, job: ReadJob): Promise<number[] | boolean[]> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timeout = (): void =>
        settle(() => {
          this.stats.timeouts++;
          reject(this.#error('CGW_MODBUS_TIMEOUT', `no answer within ${job.timeoutMs} ms`, job));
          // A peer that answers nobody may be half-open (the far side gone without a FIN):
          // reopening is cheap and is the only way to find out.
          if (++this.#silentTimeouts >= this.#o.reopenAfterTimeouts) {
            this.#silentTimeouts = 0;
            this.#drop(client, `no answer to ${this.#o.reopenAfterTimeouts} requests in a row`, true);
          }
        });
      // After an event-loop stall, timers run before the I/O that arrived meanwhile: decide after
      // that I/O (setImmediate runs after the poll phase), or a stall of ours becomes the device's
      // timeout.
      const timer = setTimeout(() => setImmediate(timeout), job.timeoutMs);
      this.#abortInFlight = (err) => settle(() => reject(err));
      client.read(job.unitId, job.table, job.address, job.count).then(
        (data) => settle(() => resolve(data)),
        (err: unknown) =>
          settle(() => {
            const code = (err as { modbusCode?: unknown }).modbusCode;
            if (typeof code === 'number') {
              this.stats.exceptions++;
              this.#silentTimeouts = 0;
              const words = EXCEPTIONS[code] ?? 'unknown exception';
              reject(this.#error('CGW_MODBUS_EXCEPTION', `exception ${code} (${words})`, job, code));
            } else if (!client.isOpen) {
              this.#drop(client, describeError(err));
              reject(this.#error('CGW_MODBUS_DISCONNECTED', describeError(err), job));
            } else reject(this.#error('CGW_MODBUS_BAD_REPLY', describeError(err), job));
          }),
      );
    });
  }

  #error(
    code: 'CGW_MODBUS_TIMEOUT' | 'CGW_MODBUS_DISCONNECTED' | 'CGW_MODBUS_EXCEPTION' | 'CGW_MODBUS_BAD_REPLY',
    message: string,
    job?: ReadJob,
    exception?: number,
  ): GatewayError {
    const context: Record<string, unknown> = { endpoint: this.key };
    if (job) Object.assign(context, { unitId: job.unitId, table: job.table, address: job.address });
    if (exception !== undefined) context.exception = exception;
    return new GatewayError(code, message, { context });
  }
}
