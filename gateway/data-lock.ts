import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from './errors.ts';

/** The lock file in the data directory: pid and start time of the gateway that uses it. */
export const LOCK_FILE = 'gateway.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // there, but not ours to signal
  }
}

/**
 * When a process started, in clock ticks since boot (Linux `/proc`); '' elsewhere. With the pid it
 * tells a gateway that still runs from a process that got its pid later (a container restarted
 * after a power cut starts its processes with the same small pids).
 */
function startTimeOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** The holder in a lock file's text (`<pid> <start time>`), if it still runs. */
function liveHolder(text: string): number | undefined {
  const [pidText, started = ''] = text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !alive(pid)) return undefined;
  const now = startTimeOf(pid);
  return started && now && started !== now ? undefined : pid;
}

/**
 * Claims `dir` for this process: two gateways on one data directory would both replay its spool
 * and both send every alert's notifications. A lock left by a process that is gone (kill -9, power
 * loss) is taken over. Throws `CGW_CONFLICT` naming the other process; returns the release.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      let holder: number | undefined;
      try {
        holder = liveHolder(readFileSync(path, 'utf8'));
      } catch {
        holder = undefined; // gone meanwhile, or unreadable: try once more
      }
      if (holder !== undefined)
        throw new GatewayError(
          'CGW_CONFLICT',
          `another gateway (pid ${holder}) uses the data directory ${dir}: stop it, or give this one its own CGW_DATA_DIR`,
        );
      try {
        unlinkSync(path); // stale: its process is gone (or its pid went to another process)
      } catch {
        // removed by someone else meanwhile
      }
      continue;
    }
    writeSync(fd, `${process.pid} ${startTimeOf(process.pid)}\n`);
    closeSync(fd);
    return () => {
      try {
        if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) unlinkSync(path);
      } catch {
        // already gone
      }
    };
  }
}
