import jpeg from 'jpeg-js';
import onvif from 'node-onvif';
import { Cam } from 'onvif';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { discoverCameras } from '../adapters/onvif/discover.ts';
import { REQUEST } from '../adapters/onvif/messages.ts';
import { buildEnvelope, parseSoap } from '../adapters/onvif/soap.ts';
import { CameraPool, postSoap } from '../test/fixtures/onvif.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { createDiscoveryResponder } from './camera-discovery.ts';

const pool = new CameraPool();
const cams: Cam[] = [];
afterEach(() => {
  for (const cam of cams.splice(0)) cam.removeAllListeners('event');
});
afterAll(() => pool.stopAll());

/** The `onvif` package, promisified where the test needs it. */
function connectCam(port: number, password: string): Promise<Cam> {
  const cam = new Cam({
    hostname: '127.0.0.1',
    port,
    username: 'admin',
    password,
    autoconnect: false,
    timeout: 5000,
  });
  cams.push(cam);
  return new Promise((resolve, reject) => cam.connect((err) => (err ? reject(err) : resolve(cam))));
}

const isJpeg = (b: Buffer): boolean => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

describe('camera simulator with node-onvif', () => {
  it('answers init, device information, profiles, stream URIs and a Digest-protected snapshot', async () => {
    const sim = await pool.start({ name: 'Gate East', model: 'SIM-CAM-2000' });
    const device = new onvif.OnvifDevice({ xaddr: sim.xaddr, user: 'admin', pass: 'pw-Gate East' });
    const info = await device.init();
    expect(info).toMatchObject({ Manufacturer: 'CGW Simulated', Model: 'SIM-CAM-2000' });
    const profiles = device.getProfileList();
    expect(profiles.map((p) => [p.token, p.name])).toEqual([
      ['Profile_1', 'MainStream'],
      ['Profile_2', 'SubStream'],
    ]);
    expect(profiles[0]!.video.encoder).toMatchObject({
      resolution: { width: 1920, height: 1080 },
      encoding: 'H264',
    });
    expect(profiles[0]!.stream.rtsp).toMatch(/^rtsp:\/\/127\.0\.0\.1:554\//);
    expect(profiles[0]!.snapshot).toBe(`http://127.0.0.1:${sim.port}/onvif/snapshot?profile=Profile_1`);
    const snapshot = await device.fetchSnapshot();
    expect(snapshot.headers['content-type']).toBe('image/jpeg');
    expect(isJpeg(snapshot.body)).toBe(true);
    expect(jpeg.decode(snapshot.body)).toMatchObject({ width: 320, height: 180 });
  });

  it('refuses a wrong password with a ter:NotAuthorized SOAP fault (HTTP 400)', async () => {
    const sim = await pool.start({ name: 'Locked' });
    const device = new onvif.OnvifDevice({ xaddr: sim.xaddr, user: 'admin', pass: 'not-the-password' });
    await expect(device.init()).rejects.toThrow(/400 Bad Request - Sender not Authorized/);
    const raw = await postSoap(
      sim.xaddr,
      buildEnvelope({
        body: REQUEST.getDeviceInformation,
        credentials: { username: 'admin', password: 'wrong' },
        cameraNowMs: sim.cameraNow(),
      }),
    );
    expect(raw.status).toBe(400);
    expect(parseSoap(raw.body)).toMatchObject({
      kind: 'fault',
      fault: { code: 'Sender', subcode: 'NotAuthorized' },
    });
    expect(sim.stats().authFailures).toBeGreaterThanOrEqual(2);
  });
});

describe('camera simulator with the onvif package', () => {
  it('connects, lists profiles and the snapshot URI, and delivers a motion event through a PullPoint', async () => {
    const sim = await pool.start({ name: 'Lobby' });
    const cam = await connectCam(sim.port, 'pw-Lobby');
    expect(cam.profiles?.map((p) => (p.$ as { token: string }).token)).toEqual(['Profile_1', 'Profile_2']);
    expect(cam.activeSource).toMatchObject({ sourceToken: 'VideoSource_1', profileToken: 'Profile_1' });
    const uri = await new Promise<string>((resolve, reject) =>
      cam.getSnapshotUri({}, (err, data) => (err ? reject(err) : resolve(data!.uri))),
    );
    expect(uri).toBe(`http://127.0.0.1:${sim.port}/onvif/snapshot?profile=Profile_1`);

    const motion = new Promise<unknown>((resolve) => {
      cam.on(
        'event',
        (message: { topic: { _: string }; message: { message: { $: { PropertyOperation: string } } } }) => {
          if (message.topic._.endsWith('Motion') && message.message.message.$.PropertyOperation === 'Changed')
            resolve(message);
        },
      );
    });
    await waitFor(() => sim.stats().subscriptions.active === 1, 'the PullPoint subscription');
    sim.raise('motion');
    const received = (await motion) as { message: { message: { data: { simpleItem: { $: object } } } } };
    expect(received.message.message.data.simpleItem.$).toEqual({ Name: 'IsMotion', Value: true }); // the package reads 'true' as a boolean;
    expect(sim.stats().requests.CreatePullPointSubscription).toBe(1);
  });

  it('learns a clock three hours off and signs in the camera time', async () => {
    const sim = await pool.start({ name: 'Skewed', behaviours: { clockOffsetMs: 3 * 3_600_000 } });
    const cam = await connectCam(sim.port, 'pw-Skewed');
    expect(cam.profiles).toHaveLength(2);
    expect(sim.stats().authFailures).toBe(0);
  });
});

describe('camera simulator security', () => {
  it('refuses a token stamped in our time when its clock is hours off, and a replayed token', async () => {
    const sim = await pool.start({ name: 'Strict', behaviours: { clockOffsetMs: 3 * 3_600_000 } });
    const credentials = { username: 'admin', password: 'pw-Strict' };
    const stale = buildEnvelope({ body: REQUEST.getDeviceInformation, credentials, cameraNowMs: Date.now() });
    expect((await postSoap(sim.xaddr, stale)).status).toBe(400);
    const good = buildEnvelope({
      body: REQUEST.getDeviceInformation,
      credentials,
      cameraNowMs: sim.cameraNow(),
    });
    expect((await postSoap(sim.xaddr, good)).status).toBe(200);
    expect((await postSoap(sim.xaddr, good)).status).toBe(400); // same nonce again
  });

  it('asks for HTTP Digest on the snapshot and refuses a wrong password', async () => {
    const sim = await pool.start({ name: 'Digest' });
    const url = `http://127.0.0.1:${sim.port}/onvif/snapshot?profile=Profile_1`;
    const plain = await fetch(url);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toMatch(
      /^Digest realm="[^",=]+", qop="auth", nonce="[0-9a-f]+", algorithm=MD5$/,
    );
    const wrong = new onvif.OnvifDevice({ xaddr: sim.xaddr, user: 'admin', pass: 'pw-Digest' });
    await wrong.init();
    wrong.setAuth('admin', 'nope');
    await expect(wrong.fetchSnapshot()).rejects.toThrow(/401/);
  });
});

describe('camera simulator behaviours', () => {
  it('goes offline, answers garbage, and forgets subscriptions on reboot', async () => {
    const sim = await pool.start({ name: 'Faulty' });
    const call = () => postSoap(sim.xaddr, buildEnvelope({ body: REQUEST.getSystemDateAndTime }));
    await sim.set({ offline: true });
    await expect(call()).rejects.toThrow();
    await sim.set({ offline: false });
    expect((await call()).status).toBe(200);

    await sim.set({ malformedXml: true });
    expect(parseSoap((await call()).body).kind).toBe('malformed');
    await sim.set({ malformedXml: false });

    const credentials = { username: 'admin', password: 'pw-Faulty' };
    const created = await postSoap(
      `http://127.0.0.1:${sim.port}/onvif/events_service`,
      buildEnvelope({ body: REQUEST.createPullPoint(60_000), credentials, cameraNowMs: sim.cameraNow() }),
    );
    expect(created.status).toBe(200);
    expect(sim.stats().subscriptions.active).toBe(1);
    await sim.reboot(100);
    expect(sim.stats()).toMatchObject({ reboots: 1, subscriptions: { active: 0 } });
    expect((await call()).status).toBe(200);
  });

  it('holds an answer for `slowMs`', async () => {
    const sim = await pool.start({ name: 'Slow', behaviours: { slowMs: 300 } });
    const started = Date.now();
    await postSoap(sim.xaddr, buildEnvelope({ body: REQUEST.getSystemDateAndTime }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });
});

describe('WS-Discovery responder', () => {
  it('answers a unicast probe on loopback with each camera, its model and name', async () => {
    const a = await pool.start({ name: 'North Gate', model: 'SIM-CAM-2000' });
    const b = await pool.start({ name: 'Garage', model: 'SIM-DOME-300' });
    const responder = createDiscoveryResponder({ port: 0, cameras: () => [a, b] });
    await responder.start();
    try {
      const found = await discoverCameras({
        target: { host: '127.0.0.1', port: responder.port },
        timeoutMs: 400,
      });
      expect(found.map((c) => [c.xaddrs[0], c.hardware, c.name]).sort()).toEqual(
        [
          [a.xaddr, 'SIM-CAM-2000', 'North Gate'],
          [b.xaddr, 'SIM-DOME-300', 'Garage'],
        ].sort(),
      );
      expect(found.every((c) => c.urn.startsWith('urn:uuid:') && c.from.startsWith('127.0.0.1:'))).toBe(true);
      expect(responder.probes).toBeGreaterThanOrEqual(1);
    } finally {
      await responder.stop();
    }
  });
});
