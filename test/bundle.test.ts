import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { freshBundle, PRODUCTION_NODE_FLAGS } from '../bin/bundle.mjs';
import { PACKAGE_ROOT } from '../gateway/paths.ts';

const run = promisify(execFile);

describe('the production bundle (dist/cgw.mjs)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A package root with one source and a bundle built from it `age` seconds after it. */
  function fakeRoot(): { root: string; source: string; bundle: string } {
    const root = mkdtempSync(join(tmpdir(), 'cgw-bundle-'));
    dirs.push(root);
    mkdirSync(join(root, 'gateway'));
    mkdirSync(join(root, 'dist'));
    const source = join(root, 'gateway', 'cli.ts');
    const bundle = join(root, 'dist', 'cgw.mjs');
    writeFileSync(source, 'export {}');
    writeFileSync(bundle, 'export {}');
    writeFileSync(join(root, 'dist', 'inputs.json'), JSON.stringify(['gateway/cli.ts']));
    utimesSync(source, new Date(1_000_000), new Date(1_000_000));
    utimesSync(bundle, new Date(2_000_000), new Date(2_000_000));
    return { root, source, bundle };
  }

  it('is used while newer than every source it was built from', () => {
    const { root, bundle } = fakeRoot();
    expect(freshBundle(root, {})).toBe(bundle);
  });

  it('is not used when a source changed after the build, is missing, or the sources are asked for', () => {
    const a = fakeRoot();
    utimesSync(a.source, new Date(3_000_000), new Date(3_000_000));
    expect(freshBundle(a.root, {})).toBeUndefined();

    const b = fakeRoot();
    rmSync(b.source);
    expect(freshBundle(b.root, {})).toBeUndefined();

    const c = fakeRoot();
    writeFileSync(join(c.root, 'dist', 'inputs.json'), '[]');
    expect(freshBundle(c.root, {})).toBeUndefined();

    const d = fakeRoot();
    expect(freshBundle(d.root, { CGW_FROM_SOURCE: '1' })).toBeUndefined();
  });

  it('is fresh after the test setup, and finds shipped files from the package root', () => {
    const bundle = freshBundle(PACKAGE_ROOT, {});
    expect(bundle).toBe(join(PACKAGE_ROOT, 'dist', 'cgw.mjs'));
    const dist = join(PACKAGE_ROOT, 'dist');
    const text = [bundle!, ...readdirSync(join(dist, 'chunks')).map((f) => join(dist, 'chunks', f))]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Every module of a bundle shares one import.meta.url: only gateway/paths.ts may use it.
    expect(text.match(/import\.meta\.url/g)).toHaveLength(1);
    // The build tool stays out of the running gateway.
    expect(text).not.toMatch(/from "esbuild"/);
    // Protocol libraries load with their adapters, not with the CLI.
    expect(readFileSync(bundle!, 'utf8')).not.toMatch(/from "(modbus-serial|node-onvif)"/);
  });

  it('runs with the production V8 flags from the shebang and the npm scripts', () => {
    const shebang = readFileSync(join(PACKAGE_ROOT, 'bin', 'cgw.mjs'), 'utf8').split('\n')[0]!;
    const scripts = (
      JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(PRODUCTION_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of PRODUCTION_NODE_FLAGS) {
      expect(shebang).toContain(flag);
      for (const name of ['start', 'cgw', 'bench']) expect(scripts[name]).toContain(flag);
    }
  });

  it('runs the CLI the same as the sources do', async () => {
    const cli = join(PACKAGE_ROOT, 'bin', 'cgw.mjs');
    const fromBundle = await run(process.execPath, [cli, 'schema'], { env: { ...process.env } });
    const fromSource = await run(process.execPath, [cli, 'schema'], {
      env: { ...process.env, CGW_FROM_SOURCE: '1' },
    });
    expect(JSON.parse(fromBundle.stdout)).toEqual(JSON.parse(fromSource.stdout));
    expect(JSON.parse(fromBundle.stdout)).toHaveProperty('properties.devices');
  });
});
