import { endpointKey, endpointOf } from '../adapters/modbus/config.ts';
import type { Clock } from '../gateway/clock.ts';
import type { Config } from '../gateway/config/schema.ts';
import { errorMessage } from '../gateway/errors.ts';
import type { Logger } from '../gateway/log.ts';
import { createPumpSimulator, type PumpSimulator, type PumpUnitSpec } from './pump.ts';
import type { PumpFault, PumpUnit } from './pump-unit.ts';
import { hashSeed } from './random.ts';

type ModbusDevice = Extract<Config['devices'][number], { protocol: 'modbus' }>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

export interface PumpFleetOptions {
  config: Config;
  log: Logger;
  /** Same seed, same pumps. Default 1. */
  seed?: number;
  /** Model time runs this many times faster than the clock. Default 1. */
  speed?: number;
  clock?: Clock;
  startAt?: number;
}

/** One configured Modbus device and the simulated pump that answers for it. */
export interface FleetDevice {
  readonly id: string;
  readonly unitId: number;
  readonly simulator: PumpSimulator;
  readonly unit: PumpUnit;
  setFault(name: PumpFault, on: boolean, options?: { delayMs?: number; code?: number }): void;
}

export interface PumpFleet {
  /**
   * Listens on every device's host:port. A port that cannot be had (another run holds it) is
   * logged and its pumps left out: the gateway then reports them offline. Idempotent.
   */
  start(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
  device(id: string): FleetDevice | undefined;
  devices(): FleetDevice[];
  simulators(): PumpSimulator[];
}

/**
 * A Modbus server for every Modbus TCP device of a gateway config: one simulator per host:port,
 * serving each unit id behind it with the device's profile or inline map. What `cgw simulate`
 * and `cgw demo` run. Only loopback hosts are served (a simulator never listens on a real
 * network); devices on a serial line are left out (they need a pty pair: see
 * `createPumpRtuSimulator`).
 */
export function createPumpFleet(options: PumpFleetOptions): PumpFleet {
  const log = options.log.child({ module: 'pump-fleet' });
  const seed = options.seed ?? 1;
  const groups = new Map<string, { host: string; port: number; devices: ModbusDevice[] }>();
  for (const device of options.config.devices) {
    if (device.protocol !== 'modbus') continue;
    const endpoint = endpointOf(device.modbus);
    if (endpoint.kind !== 'tcp') {
      log.info({ device: device.id }, `${device.id} is on serial line ${endpoint.path}: not simulated here`);
      continue;
    }
    if (!LOOPBACK.has(endpoint.host)) {
      log.warn({ device: device.id }, `${device.id}: not simulated (only pumps on 127.0.0.1 are)`);
      continue;
    }
    const key = endpointKey(endpoint);
    const group = groups.get(key) ?? { host: endpoint.host, port: endpoint.port, devices: [] };
    group.devices.push(device);
    groups.set(key, group);
  }

  const simulators: PumpSimulator[] = [];
  const devices = new Map<string, FleetDevice>();
  for (const [key, group] of groups) {
    const specs = new Map<number, PumpUnitSpec>();
    for (const d of group.devices) {
      if (specs.has(d.modbus.unitId)) {
        log.warn({ device: d.id }, `${d.id} shares unit ${d.modbus.unitId} at ${key} with another device`);
        continue;
      }
      specs.set(d.modbus.unitId, {
        unitId: d.modbus.unitId,
        profile: d.modbus.profile,
        registers: d.modbus.registers,
      });
    }
    const simulator = createPumpSimulator({
      host: group.host,
      port: group.port,
      units: [...specs.values()],
      seed: hashSeed(seed, key),
      speed: options.speed,
      clock: options.clock,
      startAt: options.startAt,
    });
    simulators.push(simulator);
    for (const d of group.devices) {
      const unit = simulator.unit(d.modbus.unitId);
      devices.set(d.id, {
        id: d.id,
        unitId: d.modbus.unitId,
        simulator,
        unit,
        setFault: (name, on, opts) => unit.setFault(name, on, opts),
      });
    }
  }

  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.all(simulators.map((s) => s.stop()));
  };

  return {
    start() {
      starting ??= (async () => {
        const results = await Promise.allSettled(simulators.map((s) => s.start()));
        for (const r of results)
          if (r.status === 'rejected') log.warn(`pump simulator not started: ${errorMessage(r.reason)}`);
        const serving = simulators.filter((s) => s.running);
        log.info(
          { servers: serving.length },
          `simulating Modbus devices on ${serving.length} of ${simulators.length} ports`,
        );
      })();
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => {});
        await stopAll();
      })();
      return stopping;
    },
    device: (id) => devices.get(id),
    devices: () => [...devices.values()],
    simulators: () => [...simulators],
  };
}
