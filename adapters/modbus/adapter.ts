import { systemClock, type Clock } from '../../gateway/clock.ts';
import type { Config } from '../../gateway/config/schema.ts';
import type { Logger } from '../../gateway/log.ts';
import { AdapterEmitter, type Adapter } from '../types.ts';
import type { ClientFactory } from './client.ts';
import { endpointKey, endpointOf, registersOf, type ModbusEndpoint } from './config.ts';
import { ModbusConnection } from './connection.ts';
import { planReads } from './plan.ts';
import { DevicePoller, type PollTiming } from './poller.ts';

export type ModbusDeviceConfig = Extract<Config['devices'][number], { protocol: 'modbus' }>;

export interface ModbusAdapterOptions {
  /** The config's Modbus devices (others are ignored). */
  devices: readonly ModbusDeviceConfig[];
  log: Logger;
  clock?: Clock;
  /** The transport; tests pass a fake. Default: modbus-serial over TCP or a serial port. */
  clientFactory?: ClientFactory;
  random?: () => number;
}

/**
 * Modbus TCP and RTU polling. Each device is polled on its own schedule with its register map
 * merged into the fewest requests; devices behind one host:port (or serial line) share one
 * serialised connection. Emits a `reading` per poll that got any answer (fields that could not
 * be read are `missing`, never zero) and a `status` when a device stops or starts answering.
 * Device state changes are logged by the pipeline that receives the statuses; this adapter logs
 * what only it knows: connections lost and regained, requests a device refuses.
 */
export class ModbusAdapter extends AdapterEmitter implements Adapter {
  readonly protocol = 'modbus';
  readonly #connections = new Map<string, ModbusConnection>();
  readonly #pollers = new Map<string, DevicePoller>();
  readonly #log: Logger;
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #stopping: Promise<void> | undefined;

  constructor(options: ModbusAdapterOptions) {
    super();
    this.#log = options.log;
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const devices = options.devices.filter((d) => d.protocol === 'modbus');
    const byEndpoint = groupBy(devices, (d) => endpointKey(endpointOf(d.modbus)));
    for (const [key, group] of byEndpoint) {
      const endpoint = endpointOf(group[0]!.modbus);
      warnOnMismatchedLine(endpoint, group, options.log);
      this.#connections.set(
        key,
        new ModbusConnection({
          endpoint,
          log: options.log,
          clock,
          random,
          clientFactory: options.clientFactory,
          // The line's devices share its reconnect policy: the most eager and the most patient.
          backoff: {
            minMs: Math.min(1000, ...group.map((d) => d.modbus.pollMs)),
            maxMs: Math.min(...group.map((d) => d.modbus.backoffMaxMs)),
          },
          connectTimeoutMs: Math.max(...group.map((d) => d.modbus.timeoutMs)),
        }),
      );
    }
    for (const device of devices) {
      const m = device.modbus;
      this.#pollers.set(
        device.id,
        new DevicePoller({
          deviceId: device.id,
          unitId: m.unitId,
          pollMs: m.pollMs,
          timeoutMs: m.timeoutMs,
          offlineAfterFailures: m.offlineAfterFailures,
          backoffMaxMs: m.backoffMaxMs,
          plan: planReads(registersOf(m)),
          connection: this.#connections.get(endpointKey(endpointOf(m)))!,
          clock,
          log: options.log,
          random,
          emitReading: (r) => this.#state === 'running' && this.emit('reading', r),
          emitStatus: (s) => this.#state === 'running' && this.emit('status', s),
        }),
      );
    }
  }

  /**
   * Starts every device's schedule, staggered over its poll interval: the units sharing a
   * connection evenly (so they do not queue behind each other), the connections shifted against
   * one another (so the process does not work in bursts). Resolves at once: an unreachable device
   * is reported offline, not awaited.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    const pollers = [...this.#pollers.values()];
    const lines = [...groupBy(pollers, (p) => p.connectionKey).values()];
    lines.forEach((line, c) =>
      line.forEach((poller, j) =>
        poller.start(Math.floor(((j + c / lines.length) / line.length) * poller.pollMs)),
      ),
    );
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.#log.info(
      { devices: pollers.length, connections: this.#connections.size },
      `polling ${pollers.length} Modbus devices over ${this.#connections.size} connections`,
    );
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#state = 'stopped';
      const settled = [...this.#pollers.values()].map((p) => p.stop());
      await Promise.all([...this.#connections.values()].map((c) => c.close()));
      await Promise.all(settled);
    })();
    return this.#stopping;
  }

  /** Per-device poll counts and timing, for health pages and the benchmark. */
  timing(deviceId: string): Readonly<PollTiming> | undefined {
    return this.#pollers.get(deviceId)?.timing;
  }

  /** Per-connection request counts. */
  connectionStats(): Record<string, ModbusConnection['stats'] & { connected: boolean }> {
    const out: Record<string, ModbusConnection['stats'] & { connected: boolean }> = {};
    for (const [key, c] of this.#connections) out[key] = { ...c.stats, connected: c.connected };
    return out;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Devices on one serial path must agree on its settings; the first one's win. */
function warnOnMismatchedLine(endpoint: ModbusEndpoint, group: readonly ModbusDeviceConfig[], log: Logger) {
  if (endpoint.kind !== 'rtu') return;
  const want = JSON.stringify(endpoint);
  for (const d of group) {
    if (JSON.stringify(endpointOf(d.modbus)) !== want)
      log.warn(
        { device: d.id, path: endpoint.path },
        `${d.id}: serial settings differ from ${group[0]!.id} on the same line; using ${group[0]!.id}'s`,
      );
  }
}
