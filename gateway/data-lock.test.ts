import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseOrThrow, SMALL_CONFIG_YAML } from '../test/fixtures/configs.ts';
import { LOCK_FILE, lockDataDir } from './data-lock.ts';
import { silentLogger } from './log.ts';
import { startGateway } from './supervisor.ts';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cgw-lock-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Another live process: its pid stands for a second gateway. */
function otherProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

const lockPath = () => join(dir, LOCK_FILE);
const holderIn = () => readFileSync(lockPath(), 'utf8').split(' ')[0]!.trim();

describe('lockDataDir', () => {
  it('claims the directory with its pid and gives it back on release', () => {
    const release = lockDataDir(dir);
    expect(holderIn()).toBe(String(process.pid));
    release();
    expect(existsSync(lockPath())).toBe(false);
  });

  it('refuses a directory a running gateway process has locked', async () => {
    const code = `import('./gateway/data-lock.ts').then((m) => { m.lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setTimeout(() => {}, 30000); })`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => d.includes('locked') && resolve()),
    );
    expect(() => lockDataDir(dir)).toThrow(`another gateway (pid ${child.pid}) uses the data directory`);
  });

  it('refuses a directory another live process holds, naming it', () => {
    const other = otherProcess();
    writeFileSync(lockPath(), `${other.pid}\n`);
    expect(() => lockDataDir(dir)).toThrow(`another gateway (pid ${other.pid}) uses the data directory`);
    expect(holderIn()).toBe(String(other.pid));
  });

  it('takes over a lock whose process is gone (kill -9) or that is unreadable', async () => {
    const gone = otherProcess();
    gone.kill('SIGKILL');
    await new Promise((resolve) => gone.once('exit', resolve));
    // The last: a live pid that started after the lock was written (a container restarted with the
    // same small pids) is not the gateway that wrote it.
    const other = otherProcess();
    for (const leftover of [`${gone.pid}\n`, 'garbage', `${other.pid} 1\n`]) {
      writeFileSync(lockPath(), leftover);
      const release = lockDataDir(dir);
      expect(holderIn()).toBe(String(process.pid));
      release();
    }
  });

  it('release leaves a lock that is no longer its own', () => {
    const release = lockDataDir(dir);
    const other = otherProcess();
    writeFileSync(lockPath(), `${other.pid}\n`);
    release();
    expect(holderIn()).toBe(String(other.pid));
  });

  it('keeps a second gateway off a data directory in use, before it starts anything', async () => {
    const other = otherProcess();
    writeFileSync(lockPath(), `${other.pid}\n`);
    const config = parseOrThrow(SMALL_CONFIG_YAML);
    await expect(
      startGateway({
        config,
        env: { dataDir: dir, adminPassword: 'admin-pw' },
        log: silentLogger(),
        http: false,
      }),
    ).rejects.toMatchObject({ code: 'CGW_CONFLICT' });
    expect(existsSync(join(dir, 'alerts.db'))).toBe(false);
  });
});
