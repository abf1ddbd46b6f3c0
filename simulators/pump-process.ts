import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../gateway/paths.ts';
import type { PumpFault } from './pump-unit.ts';

export interface PumpProcessOptions {
  /** One pump simulator (a TCP gateway) per port, on 127.0.0.1. */
  ports: readonly number[];
  /** booster-pump-v1 units 1…n behind each port. */
  unitsPerPort: number;
  seed?: number;
}

export interface PumpProcess {
  /** Switches a fault of the unit behind `port`; resolves once the child has. */
  setFault(port: number, unitId: number, name: PumpFault, on: boolean): Promise<void>;
  /** Stops the simulators and the process; resolves with the requests they served. */
  stop(): Promise<{ requests: number }>;
}

/**
 * Pump simulators in a child process of their own: a benchmark then measures the gateway's CPU
 * alone, and a test can stall the gateway's event loop while the pumps keep answering, as real
 * devices would.
 */
export async function startPumpProcess(options: PumpProcessOptions): Promise<PumpProcess> {
  const child = fork(
    join(PACKAGE_ROOT, 'simulators', 'pump-process-child.ts'),
    [JSON.stringify({ ports: options.ports, unitsPerPort: options.unitsPerPort, seed: options.seed ?? 1 })],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  try {
    const first = await message(child, ['ready', 'failed']);
    if ('failed' in first) throw new Error(`pump simulators did not start: ${String(first.failed)}`);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  let stopping: Promise<{ requests: number }> | undefined;
  return {
    async setFault(port, unitId, name, on) {
      const done = message(child, ['faultSet']);
      child.send({ fault: { port, unitId, name, on } });
      await done;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null) return { requests: 0 };
        child.send({ stop: true });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        try {
          return (await message(child, ['requests'])) as { requests: number };
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/** The child's next IPC message with one of `keys`; rejects if it exits first. */
function message(child: ChildProcess, keys: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>): void => {
      if (!keys.some((k) => k in m)) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    void once(child, 'exit').then(([code]) => reject(new Error(`pump simulator process exited (${code})`)));
  });
}
