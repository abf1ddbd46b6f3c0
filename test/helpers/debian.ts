import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A package, needed unless its binary is on the machine (or `present()` says it is there). */
export interface DebianNeed {
  pkg: string;
  binary?: string;
  present?: () => boolean;
}

function hasBinary(binary: string): boolean {
  return (
    spawnSync('sh', [
      '-c',
      `command -v ${binary} || test -x /usr/sbin/${binary} || test -x /usr/bin/${binary}`,
    ]).status === 0
  );
}

/**
 * Installs the Debian packages whose binaries are missing. The tests run against the real
 * servers; on a fresh machine this is what brings them in.
 */
export async function ensureDebianPackages(needs: DebianNeed[]): Promise<void> {
  const missing = needs
    .filter((n) => !(n.present ? n.present() : n.binary !== undefined && hasBinary(n.binary)))
    .map((n) => n.pkg);
  if (!missing.length) return;
  process.stderr.write(`test setup: installing ${missing.join(', ')} with apt-get …\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

/** A font with Chinese glyphs: without one the page's 中文 button and Chinese texts show as boxes. */
export function hasCjkFont(): boolean {
  if (existsSync('/usr/share/fonts/truetype/wqy/wqy-microhei.ttc')) return true;
  const fonts = spawnSync('fc-list', [':lang=zh'], { encoding: 'utf8' });
  return fonts.status === 0 && fonts.stdout.trim().length > 0;
}

/** Path of a binary that may live in /usr/sbin (not always on a non-root PATH). */
export function binaryPath(binary: string): string {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    if (spawnSync('test', ['-x', `${dir}/${binary}`]).status === 0) return `${dir}/${binary}`;
  }
  return binary;
}
