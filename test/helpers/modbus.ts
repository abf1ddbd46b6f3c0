import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter } from '../../adapters/types.ts';
import { parseConfigObject } from '../../gateway/config/load.ts';
import type { Config } from '../../gateway/config/schema.ts';
import type { Reading, Status } from '../../gateway/types.ts';
import { binaryPath } from './debian.ts';
import { waitFor } from './wait.ts';

/** A clock that moves only when told. */
export function manualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => void (now = t),
    advance: (ms: number) => void (now += ms),
  };
}

/** The values of `mbpoll` output lines such as `[1]: \t34603 (-30933)` or `[3]: \t1.8`. */
export function mbpollValues(stdout: string): number[] {
  return [...stdout.matchAll(/^\[\d+\]:\s+(-?[\d.eE+-]+)/gm)].map((m) => Number(m[1]));
}

/** A validated config of Modbus pumps (and whatever else `extra` adds). */
export function pumpConfig(
  devices: Array<{ id: string; modbus: Record<string, unknown>; labels?: Record<string, string> }>,
  extra: Record<string, unknown> = {},
): Config {
  const result = parseConfigObject({
    site: 'pump-site',
    ...extra,
    devices: devices.map((d) => ({ kind: 'pump', protocol: 'modbus', ...d })),
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

export type ModbusDevice = Extract<Config['devices'][number], { protocol: 'modbus' }>;

export function modbusDevices(config: Config): ModbusDevice[] {
  return config.devices.filter((d): d is ModbusDevice => d.protocol === 'modbus');
}

/** Everything an adapter emitted, in order. */
export function record(adapter: Adapter) {
  const readings: Reading[] = [];
  const statuses: Status[] = [];
  adapter.on('reading', (r) => readings.push(r));
  adapter.on('status', (s) => statuses.push(s));
  return {
    readings,
    statuses,
    of: (id: string) => readings.filter((r) => r.deviceId === id),
    statusOf: (id: string) => statuses.filter((s) => s.deviceId === id),
  };
}

/** A pseudo-terminal pair from socat: what is written to `a` comes out of `b`, and back. */
export async function socatPair(dir: string): Promise<{ a: string; b: string; stop(): Promise<void> }> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn(
    binaryPath('socat'),
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      () => /starting data transfer loop/.test(log) && existsSync(a) && existsSync(b),
      'socat ptys',
      5000,
    );
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${log}`);
  }
  return { a, b, stop };
}
