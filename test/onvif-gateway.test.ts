import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../gateway/log.ts';
import { startGateway, type Gateway } from '../gateway/supervisor.ts';
import type { CameraSimulator } from '../simulators/camera.ts';
import { parseOrThrow } from './fixtures/configs.ts';
import { CameraPool } from './fixtures/onvif.ts';
import { waitFor } from './helpers/wait.ts';

/**
 * The whole gateway with four simulated cameras: a good one, one that answers garbage, one that
 * hangs, and one whose password we have wrong. Snapshots go through the HTTP API.
 */
const pool = new CameraPool();
const cams: Record<'ok' | 'garbled' | 'hung' | 'locked', CameraSimulator> = {} as never;
let gateway: Gateway;
let dataDir: string;
let token: string;

/**
 * Timeouts are generous except where a test is about them: the machine may be busy with other
 * suites, and a slow answer from a healthy simulator must not read as a fault.
 */
const camera = (
  id: string,
  sim: CameraSimulator,
  { password = `pw-${sim.name}`, failuresBeforeOffline = 2, timeoutMs = 2000 } = {},
) =>
  `  - id: ${id}
    kind: camera
    protocol: onvif
    name: ${sim.name}
    onvif: { xaddr: "${sim.xaddr}", username: admin, password: "${password}", healthMs: 200ms, timeoutMs: ${timeoutMs}, failuresBeforeOffline: ${failuresBeforeOffline}, pullTimeoutMs: 1s, subscriptionTtlMs: 3s }`;

beforeAll(async () => {
  cams.ok = await pool.start({ name: 'Gate East' });
  cams.garbled = await pool.start({ name: 'Garbled' });
  cams.hung = await pool.start({ name: 'Hung' });
  cams.locked = await pool.start({ name: 'Locked' });
  dataDir = await mkdtemp(join(tmpdir(), 'cgw-onvif-'));
  const config = parseOrThrow(
    [
      'site: garden-court',
      'mqtt: { port: 0 }',
      'http: { port: 0 }',
      'devices:',
      '  - { id: door-1, kind: access, protocol: mqtt, password: door-pw, links: [cam-ok] }',
      // cam-ok tolerates many failures: the 504 test makes it slow on purpose.
      camera('cam-ok', cams.ok, { failuresBeforeOffline: 50 }),
      camera('cam-garbled', cams.garbled),
      camera('cam-hung', cams.hung, { timeoutMs: 400 }),
      camera('cam-locked', cams.locked, { password: 'wrong-password' }),
    ].join('\n'),
  );
  gateway = await startGateway({ config, env: { dataDir, adminPassword: 'admin-pw' }, log: silentLogger() });
  const login = await fetch(`${gateway.httpUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-pw' }),
  });
  token = ((await login.json()) as { token: string }).token;
});

afterAll(async () => {
  await gateway?.stop();
  await pool.stopAll();
  await rm(dataDir, { recursive: true, force: true });
});

const api = (path: string, auth = true) =>
  fetch(`${gateway.httpUrl}${path}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('ONVIF cameras through the whole gateway', () => {
  it('serves a JPEG snapshot through the API', async () => {
    await waitFor(() => gateway.registry.get('cam-ok')?.online === true, 'cam-ok online');
    const res = await api('/api/cameras/cam-ok/snapshot');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const body = Buffer.from(await res.arrayBuffer());
    expect([...body.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpeg.decode(body)).toMatchObject({ width: 320, height: 180 });
    expect(gateway.registry.get('cam-ok')?.values.snapshot_ms?.value).toEqual(expect.any(Number));

    expect((await api('/api/cameras/cam-ok/snapshot', false)).status).toBe(401);
    expect((await api('/api/cameras/door-1/snapshot')).status).toBe(404);
    expect((await api('/api/cameras/nope/snapshot')).status).toBe(404);
  });

  it('marks only the garbled and the hung camera offline, with their reasons; the gateway runs on', async () => {
    await cams.garbled.set({ malformedXml: true });
    await cams.hung.set({ slowMs: 60_000 });
    await waitFor(
      () =>
        gateway.registry.get('cam-garbled')?.online === false &&
        gateway.registry.get('cam-hung')?.online === false,
      'both faulty cameras offline',
    );
    const devices = (await (await api('/api/devices?kind=camera')).json()) as Array<{
      id: string;
      online: boolean | null;
      reason: string;
    }>;
    const byId = Object.fromEntries(devices.map((d) => [d.id, d]));
    expect(byId['cam-garbled']).toMatchObject({
      online: false,
      reason: expect.stringMatching(/^malformed answer/),
    });
    expect(byId['cam-hung']).toMatchObject({ online: false, reason: expect.stringMatching(/^timeout: /) });
    expect(byId['cam-ok']).toMatchObject({ online: true });
    expect((await api('/api/health', false)).status).toBe(200);
    const hung = await api('/api/cameras/cam-hung/snapshot');
    expect(hung.status).toBe(503);
    expect(await hung.json()).toMatchObject({ error: { code: 'CGW_ONVIF_UNAVAILABLE' } });
  });

  it('reports the camera with the wrong password as up but unauthorised (502 on snapshot)', async () => {
    await waitFor(() => gateway.registry.get('cam-locked')?.online === false, 'cam-locked reported');
    expect(gateway.registry.get('cam-locked')?.reason).toMatch(/^up but unauthorised: credentials refused/);
    const res = await api('/api/cameras/cam-locked/snapshot');
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: 'CGW_ONVIF_UNAUTHORIZED' } });
  });

  it('answers 504 when a camera that is up does not send its snapshot in time', async () => {
    await cams.ok.set({ slowMs: 5_000 });
    try {
      const res = await api('/api/cameras/cam-ok/snapshot');
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: { code: 'CGW_ONVIF_TIMEOUT' } });
    } finally {
      await cams.ok.set({ slowMs: 0 });
    }
  });

  it('records camera motion as the device last event', async () => {
    await waitFor(() => cams.ok.stats().subscriptions.active === 1, 'subscription');
    cams.ok.raise('motion');
    await waitFor(
      () => gateway.registry.get('cam-ok')?.lastEvent?.type === 'motion',
      'motion in the registry',
    );
    const detail = (await (await api('/api/devices/door-1')).json()) as {
      links: Array<{ id: string; kind: string }>;
    };
    expect(detail.links).toEqual([expect.objectContaining({ id: 'cam-ok', kind: 'camera' })]);
  });
});
