import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineFixture } from '../test/fixtures/rules-engine.ts';
import { bearer, loginToken, startDashboard, type DashboardFixture } from '../test/fixtures/dashboard-app.ts';
import { buildApp, SESSION_COOKIE } from './app.ts';

let dash: DashboardFixture;
let f: EngineFixture;
let app: Awaited<ReturnType<typeof buildApp>>;
let duty: string;

beforeEach(async () => {
  f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
  dash = await startDashboard();
  app = await buildApp({ ...dash.deps, alerts: f.engine, clock: f.clock });
  duty = await loginToken(app, 'duty');
});
afterEach(async () => {
  await app.close();
  await dash.app.close();
  await f.dispose();
});

async function forcedDoor(): Promise<string> {
  f.event('door-1', 'door.forced', { person: 'p-0011aa' });
  await f.advance(1000);
  return f.engine.list({ rule: 'door-forced' })[0]!.id;
}

const HOST = 'gateway.local:8080';
const cookiePost = (url: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    cookies: { [SESSION_COOKIE]: duty },
    headers: { host: HOST, ...headers },
    payload: { note: 'x' },
  });

describe('cross-site request protection', () => {
  it('refuses a cookie-authenticated POST without an Origin or with a foreign one', async () => {
    const id = await forcedDoor();
    const cases: Array<Record<string, string>> = [
      {},
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://${HOST}.evil.example` },
      { 'sec-fetch-site': 'cross-site', origin: `http://${HOST}` },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of cases) {
      const res = await cookiePost(`/api/alerts/${id}/ack`, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'CGW_FORBIDDEN', message: /cross-site/ });
    }
    expect(f.engine.get(id)!.state).toBe('active');
    // Logout is a change too.
    expect((await cookiePost('/api/logout')).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/session', headers: bearer(duty) })).statusCode).toBe(200);
  });

  it('accepts the same Origin, or Sec-Fetch-Site same-origin', async () => {
    const id = await forcedDoor();
    const ok = await cookiePost(`/api/alerts/${id}/ack`, { origin: `http://${HOST}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().state).toBe('acknowledged');
    const resolved = await cookiePost(`/api/alerts/${id}/resolve`, { 'sec-fetch-site': 'same-origin' });
    expect(resolved.statusCode).toBe(200);
  });

  it('lets cookie GETs and bearer-token POSTs through without an Origin', async () => {
    const id = await forcedDoor();
    const read = await app.inject({ url: '/api/alerts', cookies: { [SESSION_COOKIE]: duty } });
    expect(read.statusCode).toBe(200);
    const viaBearer = await app.inject({
      method: 'POST',
      url: `/api/alerts/${id}/ack`,
      headers: { ...bearer(duty), origin: 'https://evil.example' },
    });
    expect(viaBearer.statusCode).toBe(200);
  });

  it('keeps the signed acknowledge link working without a login, even from a browser with a cookie', async () => {
    const id = await forcedDoor();
    const link = new URL(String(f.published[0]!.message.ackUrl));
    const res = await app.inject({
      method: 'POST',
      url: link.pathname + link.search,
      cookies: { [SESSION_COOKIE]: duty },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().ackedBy).toMatch(/^link:/);
    const audit = dash.authStore.audit.list({ limit: 10 });
    expect(audit[0]).toMatchObject({ action: 'alert.ack-link', target: id, username: res.json().ackedBy });
  });
});
