import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError, type ErrorCode } from '../../gateway/errors.ts';
import { buildApp } from '../app.ts';
import type { SnapshotSource } from '../../gateway/types.ts';
import {
  bearer,
  loginToken,
  startDashboard,
  type DashboardFixture,
} from '../../test/fixtures/dashboard-app.ts';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);
let fixture: DashboardFixture | undefined;
afterEach(() => fixture?.app.close());

/** The dashboard with a stand-in for the ONVIF adapter that answers `result` for cam-b1-east. */
async function withSnapshots(result: Buffer | ErrorCode): Promise<DashboardFixture> {
  const snapshots: SnapshotSource = {
    snapshot: async () => {
      if (typeof result === 'string') throw new GatewayError(result, `camera says ${result}`);
      return result;
    },
  };
  const base = await startDashboard();
  await base.app.close(); // built without a snapshot source: build it again with one
  fixture = { ...base, app: await buildApp({ ...base.deps, snapshots }) };
  return fixture;
}

describe('GET /api/cameras/:id/snapshot', () => {
  it('answers the JPEG to any logged-in user, viewers included, and 401 without a login', async () => {
    const f = await withSnapshots(JPEG);
    const url = '/api/cameras/cam-b1-east/snapshot';
    expect((await f.app.inject({ url })).statusCode).toBe(401);
    const res = await f.app.inject({ url, headers: bearer(await loginToken(f.app, 'guard')) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.rawPayload.equals(JPEG)).toBe(true);
  });

  it('answers 404 for an unknown device and for a device that is not a camera', async () => {
    const f = await withSnapshots(JPEG);
    const auth = bearer(await loginToken(f.app));
    for (const id of ['nope', 'door-b1-east']) {
      const res = await f.app.inject({ url: `/api/cameras/${id}/snapshot`, headers: auth });
      expect(res.statusCode, id).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'CGW_NOT_FOUND' } });
    }
  });

  it('maps camera failures to 503, 504 and 502 with their codes', async () => {
    for (const [code, status] of [
      ['CGW_ONVIF_UNAVAILABLE', 503],
      ['CGW_ONVIF_TIMEOUT', 504],
      ['CGW_ONVIF_UNAUTHORIZED', 502],
    ] as const) {
      const f = await withSnapshots(code);
      const res = await f.app.inject({
        url: '/api/cameras/cam-b1-east/snapshot',
        headers: bearer(await loginToken(f.app)),
      });
      expect(res.statusCode, code).toBe(status);
      expect(res.json()).toEqual({ error: { code, message: `camera says ${code}` } });
      await f.app.close();
    }
  });

  it('is in the OpenAPI document as an image/jpeg answer', async () => {
    const f = await withSnapshots(JPEG);
    const doc = (
      await f.app.inject({ url: '/api/openapi.json', headers: bearer(await loginToken(f.app)) })
    ).json();
    const operation = doc.paths['/api/cameras/{id}/snapshot'].get;
    expect(operation.responses['200'].content['image/jpeg'].schema).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['401', '404', '502', '503', '504']),
    );
  });

  it('answers 404 when the gateway has no camera adapter', async () => {
    fixture = await startDashboard();
    const res = await fixture.app.inject({
      url: '/api/cameras/cam-b1-east/snapshot',
      headers: bearer(await loginToken(fixture.app)),
    });
    expect(res.statusCode).toBe(404);
  });
});
