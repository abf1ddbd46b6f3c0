import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineFixture } from '../../test/fixtures/rules-engine.ts';
import {
  bearer,
  loginToken,
  startDashboard,
  type DashboardFixture,
} from '../../test/fixtures/dashboard-app.ts';
import { buildApp } from '../app.ts';
import { alertDetailSchema, alertSchema, deviceEventSchema, kpiSchema } from './alert-schemas.ts';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 7, 7, 0xff, 0xd9]);
let dash: DashboardFixture;
let f: EngineFixture;
let app: Awaited<ReturnType<typeof buildApp>>;
let tokens: { admin: string; duty: string; guard: string };

beforeEach(async () => {
  f = await EngineFixture.create(
    `rules:\n  - template: door-forced\n  - template: pump-low-pressure\n    params: { for: 0s }\n`,
    {
      snapshots: { snapshot: async () => JPEG },
    },
  );
  dash = await startDashboard();
  app = await buildApp({ ...dash.deps, alerts: f.engine, clock: f.clock });
  tokens = {
    admin: await loginToken(app, 'admin'),
    duty: await loginToken(app, 'duty'),
    guard: await loginToken(app, 'guard'),
  };
});
afterEach(async () => {
  await app.close();
  await dash.app.close();
  await f.dispose();
});

const get = (url: string, token = tokens.guard) => app.inject({ url, headers: bearer(token) });
const post = (url: string, token: string, payload?: Record<string, unknown>) =>
  payload === undefined
    ? app.inject({ method: 'POST', url, headers: bearer(token) })
    : app.inject({ method: 'POST', url, headers: bearer(token), payload });

async function forcedDoor(): Promise<string> {
  f.event('door-1', 'door.forced', { person: 'p-0011aa' });
  await f.advance(1000);
  await new Promise((r) => setTimeout(r, 20)); // the snapshot is taken after the alert fired
  return f.engine.list({ rule: 'door-forced' })[0]!.id;
}

describe('alert routes', () => {
  it('lists alerts by state for any logged-in user, shaped as documented', async () => {
    expect((await app.inject({ url: '/api/alerts' })).statusCode).toBe(401);
    const id = await forcedDoor();
    f.reading('pump-1', { outlet_pressure_bar: 1, running: true });
    const all = await get('/api/alerts');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toHaveLength(2);
    for (const alert of all.json()) expect(alertSchema.strict().safeParse(alert).success).toBe(true);
    f.engine.acknowledge(id, 'duty');
    expect((await get('/api/alerts?state=active')).json().map((a: { rule: string }) => a.rule)).toEqual([
      'pump-low-pressure',
    ]);
    expect((await get('/api/alerts?state=open')).json()).toHaveLength(2);
    expect((await get('/api/alerts?state=acknowledged&device=door-1')).json()[0].id).toBe(id);
    expect((await get('/api/alerts?state=lost')).statusCode).toBe(400);
  });

  it('acknowledges and resolves for operators only, with notes in the history; twice is a conflict', async () => {
    const id = await forcedDoor();
    const denied = await post(`/api/alerts/${id}/ack`, tokens.guard, {});
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('CGW_FORBIDDEN');
    const ack = await post(`/api/alerts/${id}/ack`, tokens.duty, { note: 'guard sent' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'acknowledged', ackedBy: 'duty', ackedAt: f.clock.now() });
    const again = await post(`/api/alerts/${id}/ack`, tokens.admin);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'CGW_RULE_ALERT_CONFLICT' });
    expect((await post(`/api/alerts/${id}/resolve`, tokens.duty, { note: 'nobody there' })).statusCode).toBe(
      200,
    );
    expect((await post(`/api/alerts/${id}/resolve`, tokens.duty)).statusCode).toBe(409);
    expect((await post(`/api/alerts/${id}/ack`, tokens.duty, { note: 'x', extra: 1 })).statusCode).toBe(400);
    expect((await post(`/api/alerts/nope/ack`, tokens.duty)).statusCode).toBe(404);

    const detail = await get(`/api/alerts/${id}`);
    expect(alertDetailSchema.strict().safeParse(detail.json()).success).toBe(true);
    expect(detail.json().history).toEqual([
      { ts: expect.any(Number), action: 'fired', by: null, note: null },
      { ts: expect.any(Number), action: 'acknowledged', by: 'duty', note: 'guard sent' },
      { ts: expect.any(Number), action: 'resolved', by: 'duty', note: 'nobody there' },
    ]);
    expect(detail.json().deliveries.map((d: { event: string }) => d.event)).toEqual([
      'fired',
      'acknowledged',
      'resolved',
    ]);
    expect(detail.json().trigger).toMatchObject({ type: 'event', eventType: 'door.forced' });
  });

  it('serves the signed link without a login: a page to confirm, the acknowledgement, then 409', async () => {
    const id = await forcedDoor();
    const link = new URL(String(f.published[0]!.message.ackUrl));
    const path = link.pathname + link.search;
    const page = await app.inject({ url: path, headers: { accept: 'text/html' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<form method="post"/);
    expect(page.body).toContain('East gate: door forced open');
    // A preview of the link acknowledged nothing.
    expect(f.engine.get(id)!.state).toBe('active');

    const bad = await app.inject({ method: 'POST', url: path.replace(/token=.{4}/, 'token=AAAA') });
    expect(bad.statusCode).toBe(403);
    expect(bad.json().error.code).toBe('CGW_RULE_LINK_INVALID');
    const form = await app.inject({
      method: 'POST',
      url: path,
      headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(form.statusCode).toBe(200);
    expect(form.body).toMatch(/Thank you/);
    expect(f.engine.get(id)).toMatchObject({ state: 'acknowledged', ackedBy: 'link:mqtt' });
    const second = await app.inject({ method: 'POST', url: path });
    expect(second.statusCode).toBe(409);
    const secondPage = await app.inject({ method: 'POST', url: path, headers: { accept: 'text/html' } });
    expect(secondPage.statusCode).toBe(409);
    expect(secondPage.body).toMatch(/Already acknowledged by link:mqtt/);
  });

  it('serves the snapshot taken when the alert fired as a JPEG', async () => {
    const id = await forcedDoor();
    const res = await get(`/api/alerts/${id}/snapshot`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-cgw-camera']).toBe('cam-1');
    expect(res.rawPayload.equals(JPEG)).toBe(true);
    f.reading('pump-1', { outlet_pressure_bar: 1, running: true });
    const pumpAlert = f.engine.list({ rule: 'pump-low-pressure' })[0]!.id;
    expect((await get(`/api/alerts/${pumpAlert}/snapshot`)).statusCode).toBe(404);
  });
});

describe('KPI and event routes', () => {
  it('answers response times over a period, and checks the period', async () => {
    const from = f.clock.now();
    const id = await forcedDoor();
    await f.advance(90_000);
    f.engine.acknowledge(id, 'duty');
    const res = await get(`/api/kpi?from=${from}`);
    expect(res.statusCode).toBe(200);
    expect(kpiSchema.strict().safeParse(res.json()).success).toBe(true);
    expect(res.json().alerts).toMatchObject({ count: 1, acknowledged: 1, meanTimeToAckMs: 91_000 });
    expect(res.json().bySeverity.major.count).toBe(1);
    expect(res.json().to).toBe(f.clock.now());
    expect((await get(`/api/kpi?from=${f.clock.now() + 1}`)).statusCode).toBe(400);
  });

  it('lists recent device events newest first, person ids as they came (pseudonyms)', async () => {
    await forcedDoor();
    f.event('door-1', 'access.granted', { credential: 'card', person: 'p-22bb' });
    const res = await get('/api/events?device=door-1&limit=5');
    expect(res.statusCode).toBe(200);
    expect(res.json().map((e: { type: string }) => e.type)).toEqual(['access.granted', 'door.forced']);
    for (const e of res.json()) expect(deviceEventSchema.strict().safeParse(e).success).toBe(true);
    expect((await get('/api/events?type=door.forced')).json()).toHaveLength(1);
  });

  it('answers 503 without a rule engine, and documents the routes in OpenAPI', async () => {
    const res = await dash.app.inject({ url: '/api/alerts', headers: bearer(await loginToken(dash.app)) });
    expect(res.statusCode).toBe(503);
    const doc = (await get('/api/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/alerts',
        '/api/alerts/{id}',
        '/api/alerts/{id}/ack',
        '/api/kpi',
        '/api/events',
      ]),
    );
  });
});

describe('alert actions in the audit log', () => {
  it('records acknowledge and resolve with who, the alert and the note', async () => {
    const id = await forcedDoor();
    expect((await post(`/api/alerts/${id}/ack`, tokens.duty, { note: 'guard sent' })).statusCode).toBe(200);
    expect((await post(`/api/alerts/${id}/resolve`, tokens.duty, {})).statusCode).toBe(200);
    const entries = (await get('/api/audit', tokens.admin)).json() as Array<Record<string, unknown>>;
    expect(entries.slice(0, 2)).toEqual([
      expect.objectContaining({ username: 'duty', action: 'alert.resolve', target: id, detail: null }),
      expect.objectContaining({ username: 'duty', action: 'alert.ack', target: id, detail: 'guard sent' }),
    ]);
    expect((await get('/api/audit', tokens.duty)).statusCode).toBe(403);
    expect((await get('/api/audit', tokens.guard)).statusCode).toBe(403);
  });

  it('does not record a refused acknowledge', async () => {
    const id = await forcedDoor();
    expect((await post(`/api/alerts/${id}/ack`, tokens.guard)).statusCode).toBe(403);
    const entries = (await get('/api/audit', tokens.admin)).json() as Array<{ action: string }>;
    expect(entries.some((e) => e.action === 'alert.ack')).toBe(false);
  });
});
