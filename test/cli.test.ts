import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_CONFIG_YAML } from './fixtures/configs.ts';
import { runCli } from './helpers/cli.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cgw check', () => {
  it('accepts a valid config and summarises it', async () => {
    const file = join(dir, 'good.yaml');
    await writeFile(file, SMALL_CONFIG_YAML);
    const result = await runCli(['check', '--config', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('4 devices (2 access, 2 elevator)');
  });

  it('reports every problem of a broken config with its path and line, and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      [
        'site: garden-court',
        'mqtt:',
        '  port: 99999',
        '  colour: blue',
        'devices:',
        '  - { id: door-1, kind: access, protocol: mqtt, password: "${MISSING_SECRET}" }',
        '  - { id: door-1, kind: toaster, protocol: mqtt, password: x, links: [cam-9] }',
        '  - { id: lift-1, kind: elevator, protocol: mqtt, password: x, offlineAfter: soon }',
      ].join('\n'),
    );
    const result = await runCli(['check', '--config', file], { MISSING_SECRET: undefined });
    expect(result.code).toBe(1);
    const lines = result.stderr;
    expect(lines).toMatch(/mqtt\.port \(.*line 3\)/);
    expect(lines).toMatch(/mqtt \(.*line 4\): unknown key\(s\) "colour"/);
    expect(lines).toMatch(
      /devices\.0\.password \(.*line 6\): environment variable \$\{MISSING_SECRET\} is not set/,
    );
    expect(lines).toMatch(/devices\.1\.id \(.*line 7\): duplicate device id "door-1"/);
    expect(lines).toMatch(/devices\.1\.kind \(.*line 7\)/);
    expect(lines).toMatch(/devices\.1\.links\.0 \(.*line 7\): links to "cam-9"/);
    expect(lines).toMatch(/devices\.2\.offlineAfter \(.*line 8\): "soon" is not a duration/);
  });

  it('says so when the file is missing or not YAML', async () => {
    expect((await runCli(['check', '--config', join(dir, 'nope.yaml')])).stderr).toMatch(/cannot read/);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'site: [unclosed\n');
    const result = await runCli(['check', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line \d/);
  });
});

describe('cgw schema and friends', () => {
  it('prints a draft-7 JSON Schema naming the config keys', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $schema: string; properties: Record<string, unknown> };
    expect(schema.$schema).toContain('draft-07');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['site', 'mqtt', 'influx', 'http', 'devices', 'rules']),
    );
  });

  it('hashes a password that the gateway can verify', async () => {
    const result = await runCli(['hash-password', 's3cret']);
    expect(result.stdout.trim()).toMatch(/^scrypt\$16384\$8\$1\$/);
    const { verifyPassword } = await import('../gateway/auth/password.ts');
    expect(await verifyPassword('s3cret', result.stdout.trim())).toBe(true);
    expect(await verifyPassword('other', result.stdout.trim())).toBe(false);
  });

  it('answers an unknown command with the usage and exit 1', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });
});
