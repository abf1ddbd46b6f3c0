import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import { createCameraFleet, type CameraFleet } from '../simulators/camera-fleet.ts';
import { parseOrThrow } from './fixtures/configs.ts';
import { runCli } from './helpers/cli.ts';
import { freePort } from './helpers/ports.ts';

/** `cgw discover` against a camera fleet on loopback: the probe goes unicast to its responder. */
let dir: string;
let fleet: CameraFleet;
let ports: number[];

const device = (id: string, name: string, port: number, password: string) =>
  `  - { id: ${id}, kind: camera, name: ${name}, protocol: onvif, onvif: { xaddr: "http://127.0.0.1:${port}/onvif/device_service", username: admin, password: ${password} } }`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-discover-'));
  ports = [await freePort(), await freePort(), await freePort()];
  const served = parseOrThrow(
    [
      'devices:',
      device('cam-east', 'East gate', ports[0]!, 'east-pw'),
      device('cam-lobby', 'Lobby', ports[1]!, 'lobby-pw'),
    ].join('\n'),
  );
  fleet = createCameraFleet({ config: served, log: silentLogger(), seed: 3, discoveryPort: 0 });
  await fleet.start();
  // The integrator's file: one password wrong, and a camera nobody serves.
  await writeFile(
    join(dir, 'gateway.yaml'),
    [
      'devices:',
      device('cam-east', 'East gate', ports[0]!, 'east-pw'),
      device('cam-lobby', 'Lobby', ports[1]!, 'stale-pw'),
      device('cam-roof', 'Roof', ports[2]!, 'roof-pw'),
    ].join('\n'),
  );
});

afterAll(async () => {
  await fleet?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('cgw discover', () => {
  it('lists the simulated cameras with model and name, and checks the configured credentials', async () => {
    const target = `127.0.0.1:${fleet.discovery!.port}`;
    const result = await runCli([
      'discover',
      '--target',
      target,
      '--timeout',
      '700',
      '--config',
      join(dir, 'gateway.yaml'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('2 camera(s) answered:');
    const east = lines.find((l) => l.includes(`:${ports[0]}/onvif/device_service`));
    const lobby = lines.find((l) => l.includes(`:${ports[1]}/onvif/device_service`));
    expect(east).toMatch(
      /model SIM-CAM-2000 {2}"East gate" {2}config cam-east: credentials OK \(CGW Simulated SIM-CAM-2000\)/,
    );
    expect(lobby).toMatch(/"Lobby" {2}config cam-lobby: credentials REFUSED/);
    expect(result.stdout).toContain(
      `configured but silent: cam-roof at http://127.0.0.1:${ports[2]}/onvif/device_service`,
    );
    expect(result.stdout).not.toMatch(/east-pw|stale-pw/);
  });

  it('says so and exits 1 when nothing answers', async () => {
    const result = await runCli([
      'discover',
      '--target',
      `127.0.0.1:${await freePort()}`,
      '--timeout',
      '300',
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/no ONVIF camera answered at 127\.0\.0\.1:\d+/);
  });

  it('refuses a target that is not host:port', async () => {
    const result = await runCli(['discover', '--target', 'cameras.example']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--target must be host:port/);
  });
});
