import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../gateway/paths.ts';
import { bundleForNode } from '../scripts/build.ts';
import type { LoadOptions, LoadResult } from './load.ts';

/**
 * Runs a bench script in a process of its own (so load generators do not share the measured
 * gateway's event loop). The input goes over IPC — 10,000 devices overflow an argv string — and the
 * result comes back as JSON on the child's last stdout line. The child calls `serveInChild`.
 */
export async function runInChild<I, O>(script: URL, input: I): Promise<O> {
  const child = fork(fileURLToPath(script), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.send(input as object);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await Promise.race([
    once(child, 'exit'),
    once(child, 'error').then(([err]) => Promise.reject(err)),
  ])) as [number | null];
  if (code !== 0) throw new Error(`${fileURLToPath(script)} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as O;
}

/** The child side of `runInChild`: takes the input from IPC, prints the result, exits. */
export function serveInChild<I, O>(run: (input: I) => Promise<O>): void {
  process.once('message', (input: I) => {
    run(input).then(
      (result) => {
        process.stdout.write(JSON.stringify(result) + '\n');
        process.disconnect();
      },
      (err: unknown) => {
        process.stderr.write(`bench child failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}

/** Starts the load generator in a child process; resolves with what it sent. */
export function loadInChild(options: LoadOptions): Promise<LoadResult> {
  return runInChild(new URL('./load-child.ts', import.meta.url), options);
}

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 50,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A long-lived bench process spoken to line by line (stdin commands, stdout answers). */
export interface LineChild {
  proc: ChildProcess;
  /** The next line the child prints. */
  next: () => Promise<string>;
}

/**
 * A bench script bundled the way scripts/build.ts bundles the gateway, so a measured process
 * runs what production runs: no TypeScript loader.
 */
export async function bundleScript(script: URL): Promise<URL> {
  const source = fileURLToPath(script);
  const name = basename(source).replace(/\.ts$/, '');
  const outdir = join(PACKAGE_ROOT, '.tmp', 'bench', name);
  await bundleForNode(source, name, outdir);
  return pathToFileURL(join(outdir, `${name}.mjs`));
}

/** Runs a `.ts` script with the TypeScript loader, a bundled `.mjs` one as it is. */
export function spawnLineChild(script: URL, args: string[], nodeArgs: string[] = []): LineChild {
  const loader = script.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...nodeArgs, ...loader, fileURLToPath(script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffer = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  return {
    proc,
    next: () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r))),
  };
}
