import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { planReads } from '../adapters/modbus/plan.ts';
import { getProfile } from '../adapters/modbus/profiles/index.ts';
import { parseConfigObject } from '../gateway/config/load.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';
import { startPumpProcess } from '../simulators/pump-process.ts';
import { freePort } from '../test/helpers/ports.ts';

export interface ModbusBenchOptions {
  /** Simulated pumps (default 200). */
  pumps?: number;
  /** Pumps behind one TCP gateway (one shared connection each; default 10). */
  unitsPerPort?: number;
  pollMs?: number;
  /** How long the gateway is measured, after one poll interval of warm-up. */
  durationMs: number;
}

export interface ModbusBenchResult {
  pumps: number;
  /** Points per pump (booster-pump-v1: 13 input registers, 1 holding, 1 coil, 1 discrete). */
  registersPerPump: number;
  requestsPerPoll: number;
  connections: number;
  pollMs: number;
  seconds: number;
  readingsPerSecond: number;
  expectedPerSecond: number;
  /** Readings with a field missing, or polls that got no answer (should both be 0). */
  incomplete: number;
  /** Gateway process CPU (user + system) as a share of one core, in %. */
  cpuPercent: number;
  /** |interval between a pump's consecutive readings − pollMs|, ms. */
  jitterMs: { p50: number; p99: number; max: number };
  /** The gateway's event-loop delay meanwhile (what of the jitter is the process being busy), ms. */
  loopDelayMs: { p99: number; max: number };
  simulatorRequests: number;
}

/**
 * 200 simulated booster pumps (16 points each) polled at 1 Hz through the whole gateway (Modbus
 * adapter, pipeline, registry, embedded store), the pumps served from a process of their own.
 */
export async function benchModbus(options: ModbusBenchOptions): Promise<ModbusBenchResult> {
  const pumps = options.pumps ?? 200;
  const unitsPerPort = options.unitsPerPort ?? 10;
  const pollMs = options.pollMs ?? 1000;
  const ports: number[] = [];
  while (ports.length < Math.ceil(pumps / unitsPerPort)) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const simulators = await startPumpProcess({ ports, unitsPerPort, seed: 1 });
  const dataDir = await mkdtemp(join(tmpdir(), 'cgw-bench-modbus-'));
  try {
    const devices = Array.from({ length: pumps }, (_, i) => ({
      id: `pump-${i}`,
      kind: 'pump',
      protocol: 'modbus',
      labels: { building: `b${i % 8}` },
      modbus: {
        host: '127.0.0.1',
        port: ports[Math.floor(i / unitsPerPort)],
        unitId: (i % unitsPerPort) + 1,
        pollMs,
        timeoutMs: 500,
        profile: 'booster-pump-v1',
      },
    }));
    const parsed = parseConfigObject({ site: 'bench', mqtt: { port: 0 }, http: { port: 0 }, devices });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const gateway = await startGateway({
      config: parsed.config,
      env: { dataDir, adminPassword: 'bench' },
      log: silentLogger(),
      http: false,
    });
    try {
      const last = new Map<string, number>();
      const gaps: number[] = [];
      let readings = 0;
      let incomplete = 0;
      let measuring = false;
      gateway.bus.on('reading', (r) => {
        const before = last.get(r.deviceId);
        last.set(r.deviceId, r.ts);
        if (!measuring) return;
        readings++;
        if (r.quality) incomplete++;
        if (before !== undefined) gaps.push(Math.abs(r.ts - before - pollMs));
      });
      gateway.bus.on('status', (s) => {
        if (measuring && !s.online) incomplete++;
      });
      await new Promise((r) => setTimeout(r, pollMs * 2)); // every pump connected and on its grid
      measuring = true;
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, options.durationMs));
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      loop.disable();
      measuring = false;
      gaps.sort((a, b) => a - b);
      const at = (p: number) => round(gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] ?? NaN, 1);
      const profile = getProfile('booster-pump-v1').registers;
      const { requests } = await simulators.stop();
      return {
        pumps,
        registersPerPump: 16,
        requestsPerPoll: planReads(profile).length,
        connections: ports.length,
        pollMs,
        seconds: round(wallMs / 1000, 1),
        readingsPerSecond: round((readings / wallMs) * 1000, 1),
        expectedPerSecond: round((pumps * 1000) / pollMs, 1),
        incomplete,
        cpuPercent: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
        jitterMs: { p50: at(0.5), p99: at(0.99), max: round(gaps.at(-1) ?? NaN, 1) },
        loopDelayMs: { p99: round(loop.percentile(99) / 1e6, 1), max: round(loop.max / 1e6, 1) },
        simulatorRequests: requests,
      };
    } finally {
      await gateway.stop();
    }
  } finally {
    await simulators.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
