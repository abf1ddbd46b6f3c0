import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../gateway/errors.ts';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../gateway/log.ts';
import type { DeviceEvent, Reading, Status } from '../../gateway/types.ts';
import type { CameraSimulator } from '../../simulators/camera.ts';
import { CameraPool, fastOnvifConfig } from '../../test/fixtures/onvif.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { OnvifAdapter } from './adapter.ts';

const pool = new CameraPool();
const adapters: OnvifAdapter[] = [];
afterEach(async () => {
  await Promise.all(adapters.splice(0).map((a) => a.stop()));
  await pool.stopAll();
});

interface Run {
  adapter: OnvifAdapter;
  statuses: Status[];
  events: DeviceEvent[];
  readings: Reading[];
  /** The latest status of one camera. */
  status(id: string): Status | undefined;
}

function run(
  cameras: Array<{ id: string; sim: CameraSimulator; config?: Record<string, unknown> }>,
  log = silentLogger(),
): Run {
  const adapter = new OnvifAdapter({
    devices: [
      { id: 'door-1', protocol: 'mqtt' },
      ...cameras.map(({ id, sim, config }) => ({
        id,
        protocol: 'onvif',
        onvif: fastOnvifConfig(sim, config),
      })),
    ],
    log,
    clock: { now: () => Date.now() },
  });
  adapters.push(adapter);
  const r: Run = {
    adapter,
    statuses: [],
    events: [],
    readings: [],
    status: (id) => r.statuses.filter((s) => s.deviceId === id).at(-1),
  };
  adapter.on('status', (s) => r.statuses.push(s));
  adapter.on('event', (e) => r.events.push(e));
  adapter.on('reading', (x) => r.readings.push(x));
  void adapter.start();
  return r;
}

const online = (r: Run, id: string) => () => r.status(id)?.online === true;
const subscribed =
  (r: Run, id: string, created = 1) =>
  () =>
    (r.adapter.camera(id)?.events?.created ?? 0) >= created;
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (err: unknown) => (isGatewayError(err) ? err.code : String(err)),
  );

describe('OnvifAdapter against the camera simulator', () => {
  it('comes online with snapshot_ms telemetry, reads the profiles and serves JPEG snapshots', async () => {
    const sim = await pool.start({ name: 'cam-a' });
    const r = run([{ id: 'cam-a', sim }]);
    await waitFor(online(r, 'cam-a'), 'cam-a online');
    expect(r.status('cam-a')?.reason).toBe('connected: CGW Simulated SIM-CAM-2000');
    await waitFor(() => r.readings.some((x) => typeof x.values.snapshot_ms === 'number'), 'snapshot_ms');
    expect(r.readings.every((x) => x.deviceId === 'cam-a' && x.values.online === true)).toBe(true);
    expect(r.adapter.camera('cam-a')?.facts).toMatchObject({
      profileTokens: ['Profile_1', 'Profile_2'],
      snapshotUri: `http://127.0.0.1:${sim.port}/onvif/snapshot?profile=Profile_1`,
    });
    const image = await r.adapter.snapshot('cam-a');
    expect([...image.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(jpeg.decode(image)).toMatchObject({ width: 320, height: 180 });
    expect(await codeOf(r.adapter.snapshot('door-1'))).toBe('CGW_NOT_FOUND');
  });

  it('turns motion, tamper and video-loss alarms into events, once per onset', async () => {
    const sim = await pool.start({ name: 'cam-e' });
    const r = run([{ id: 'cam-e', sim }]);
    await waitFor(subscribed(r, 'cam-e'), 'subscription');
    await waitFor(() => sim.stats().requests.PullMessages! >= 2, 'the Initialized states pulled');
    expect(r.events).toEqual([]); // the states a new subscription reports are not events
    sim.raise('motion');
    sim.raise('motion'); // still moving: no second event
    sim.raise('tamper');
    sim.raise('video.loss');
    await waitFor(() => r.events.length >= 3, 'three events');
    sim.raise('motion', false);
    sim.raise('motion');
    await waitFor(() => r.events.length >= 4, 'the next motion');
    expect(r.events.map((e) => e.type)).toEqual(['motion', 'tamper', 'video.loss', 'motion']);
    expect(r.events[0]).toMatchObject({
      deviceId: 'cam-e',
      data: { active: true, source: 'VideoSourceConfig_1' },
    });
    expect(Math.abs(r.events[0]!.ts - Date.now())).toBeLessThan(5000);
  });

  it('keeps receiving events across a camera reboot', async () => {
    const sim = await pool.start({ name: 'cam-r' });
    const r = run([{ id: 'cam-r', sim }]);
    await waitFor(subscribed(r, 'cam-r'), 'subscription');
    await sim.reboot(400);
    await waitFor(subscribed(r, 'cam-r', 2), 'a new subscription after the reboot', 10_000);
    sim.raise('motion');
    await waitFor(() => r.events.some((e) => e.type === 'motion'), 'motion after the reboot');
    expect(sim.stats()).toMatchObject({ reboots: 1, subscriptions: { active: 1 } });
  });

  it('keeps receiving events when the camera lets subscriptions expire', async () => {
    const sim = await pool.start({ name: 'cam-x' });
    const r = run([{ id: 'cam-x', sim }]);
    await waitFor(subscribed(r, 'cam-x'), 'subscription');
    // Ends the live subscription now (the next pull meets a fault), then ignores every Renew.
    await sim.set({ expireSubscriptions: true });
    await waitFor(subscribed(r, 'cam-x', 3), 'two replacements', 15_000);
    expect(sim.stats().subscriptions.expired).toBeGreaterThanOrEqual(1);
    sim.raise('tamper');
    await waitFor(() => r.events.some((e) => e.type === 'tamper'), 'tamper on a replacement subscription');
    expect(sim.stats().subscriptions.active).toBe(1); // the old ones were let go, not leaked
  });

  it('authenticates with a camera whose clock is 3 hours off, and follows a clock that jumps', async () => {
    const sim = await pool.start({ name: 'cam-c', behaviours: { clockOffsetMs: 3 * 3_600_000 } });
    // Tolerant of slow answers on a busy machine: this test is about authentication only.
    const r = run([{ id: 'cam-c', sim, config: { failuresBeforeOffline: 5 } }]);
    await waitFor(online(r, 'cam-c'), 'cam-c online');
    expect(Math.abs(r.adapter.camera('cam-c')!.clockOffsetMs - 3 * 3_600_000)).toBeLessThan(2000);
    const failuresBefore = sim.stats().authFailures;
    await sim.set({ clockOffsetMs: -2 * 3_600_000 }); // someone set the camera by hand
    await waitFor(
      () => Math.abs(r.adapter.camera('cam-c')!.clockOffsetMs + 2 * 3_600_000) < 2000,
      're-learnt clock',
    );
    // Once re-learnt, the camera accepts us again: no more refusals, no status change.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const failuresAfter = sim.stats().authFailures;
    expect(failuresAfter).toBeGreaterThan(failuresBefore); // the jump did bite before it was re-learnt
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(sim.stats().authFailures).toBe(failuresAfter);
    expect(r.statuses.filter((s) => s.deviceId === 'cam-c').map((s) => s.online)).toEqual([true]);
  });

  it('reports a camera that refuses our password as up but unauthorised, and never logs the password', async () => {
    const sim = await pool.start({ name: 'cam-p' });
    let logged = '';
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => ((logged += chunk.toString()), done()),
    });
    const r = run(
      [{ id: 'cam-p', sim, config: { password: 'not-the-password' } }],
      createLogger({ level: 'debug', destination: sink }),
    );
    await waitFor(() => r.status('cam-p') !== undefined, 'a status');
    expect(r.status('cam-p')).toMatchObject({
      online: false,
      reason: expect.stringMatching(/^up but unauthorised: credentials refused \(NotAuthorized/),
    });
    expect(r.adapter.camera('cam-p')?.state).toBe('unauthorised');
    expect(sim.stats().authFailures).toBeGreaterThan(0);
    expect(await codeOf(r.adapter.snapshot('cam-p'))).toBe('CGW_ONVIF_UNAUTHORIZED');
    expect(logged).toContain('check failed');
    expect(logged).not.toContain('not-the-password');
  });

  it('marks a camera that answers malformed XML offline, and only that one; it comes back', async () => {
    const good = await pool.start({ name: 'cam-ok' });
    const bad = await pool.start({ name: 'cam-bad' });
    const r = run([
      { id: 'cam-ok', sim: good, config: { failuresBeforeOffline: 5 } },
      { id: 'cam-bad', sim: bad },
    ]);
    await waitFor(() => online(r, 'cam-ok')() && online(r, 'cam-bad')(), 'both online');
    await bad.set({ malformedXml: true });
    await waitFor(() => r.status('cam-bad')?.online === false, 'cam-bad offline');
    expect(r.status('cam-bad')?.reason).toMatch(/^malformed answer: not well-formed XML/);
    expect(r.readings.filter((x) => x.deviceId === 'cam-bad').at(-1)?.values).toEqual({ online: false });
    await bad.set({ malformedXml: false });
    await waitFor(online(r, 'cam-bad'), 'cam-bad back');
    expect(r.statuses.filter((s) => s.deviceId === 'cam-ok').map((s) => s.online)).toEqual([true]);
  });

  it('marks a hung camera offline by timeout without delaying the others', async () => {
    const good = await pool.start({ name: 'cam-fine' });
    const hung = await pool.start({ name: 'cam-hung' });
    const r = run([
      { id: 'cam-fine', sim: good, config: { failuresBeforeOffline: 5 } },
      { id: 'cam-hung', sim: hung, config: { timeoutMs: 400 } },
    ]);
    await waitFor(() => online(r, 'cam-fine')() && online(r, 'cam-hung')(), 'both online');
    await hung.set({ slowMs: 60_000 });
    const readingsBefore = r.readings.filter((x) => x.deviceId === 'cam-fine').length;
    await waitFor(() => r.status('cam-hung')?.online === false, 'cam-hung offline');
    expect(r.status('cam-hung')?.reason).toBe('timeout: no answer within 400 ms');
    expect(r.readings.filter((x) => x.deviceId === 'cam-fine').length).toBeGreaterThan(readingsBefore);
    expect(await codeOf(r.adapter.snapshot('cam-hung'))).toBe('CGW_ONVIF_UNAVAILABLE');
    expect(r.status('cam-fine')?.online).toBe(true);
  });

  it('reports an unplugged camera unreachable and takes it back', async () => {
    const sim = await pool.start({ name: 'cam-u' });
    const r = run([{ id: 'cam-u', sim }]);
    await waitFor(online(r, 'cam-u'), 'online');
    await sim.set({ offline: true });
    await waitFor(() => r.status('cam-u')?.online === false, 'offline');
    expect(r.status('cam-u')?.reason).toBe('unreachable: ECONNREFUSED');
    await sim.set({ offline: false });
    await waitFor(online(r, 'cam-u'), 'back online');
  });

  it('stops idempotently, gives the subscription back, and does nothing after stop', async () => {
    const sim = await pool.start({ name: 'cam-s' });
    const r = run([{ id: 'cam-s', sim }]);
    await waitFor(subscribed(r, 'cam-s'), 'subscription');
    await Promise.all([r.adapter.stop(), r.adapter.stop()]);
    expect(sim.stats().subscriptions).toMatchObject({ active: 0, unsubscribed: 1 });
    const requests = JSON.stringify(sim.stats().requests);
    await r.adapter.start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(JSON.stringify(sim.stats().requests)).toBe(requests);

    // Stopped before its first check: nothing is ever sent.
    const idle = await pool.start({ name: 'cam-idle' });
    const early = run([{ id: 'cam-idle', sim: idle }]);
    await early.adapter.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(idle.stats().requests).toEqual({});
  });
});
