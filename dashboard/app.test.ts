import { afterEach, describe, expect, it } from 'vitest';
import {
  bearer,
  loginToken,
  PASSWORDS,
  startDashboard,
  type DashboardFixture,
} from '../test/fixtures/dashboard-app.ts';
import { requireRole, SESSION_COOKIE } from './app.ts';

let fixture: DashboardFixture;
const apps: DashboardFixture[] = [];
async function start(options: Parameters<typeof startDashboard>[0] = {}): Promise<DashboardFixture> {
  fixture = await startDashboard(options);
  apps.push(fixture);
  return fixture;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((f) => f.app.close()));
});

const login = (username: string, password: string, remoteAddress = '127.0.0.1') =>
  fixture.app.inject({
    method: 'POST',
    url: '/api/login',
    payload: { username, password },
    remoteAddress,
  });

const getAsAdmin = async (url: string) =>
  fixture.app.inject({ url, headers: bearer(await loginToken(fixture.app)) });

describe('POST /api/login', () => {
  it('answers a token, the user and role, and sets an HttpOnly SameSite=Strict session cookie', async () => {
    await start();
    const res = await login('admin', PASSWORDS.admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ username: 'admin', role: 'admin' });
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(body.expiresAt).toBe(fixture.clock.now() + 3_600_000);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`${SESSION_COOKIE}=${body.token}`);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    expect(cookie).toMatch(/;\s*Path=\//);
  });

  it('gives every login its own token', async () => {
    await start();
    const a = await loginToken(fixture.app);
    const b = await loginToken(fixture.app);
    expect(a).not.toBe(b);
  });

  it('refuses a wrong password and an unknown user with the same 401 and no cookie', async () => {
    await start();
    const wrong = await login('admin', 'not-the-password');
    const unknown = await login('nobody', 'whatever');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual({
      error: { code: 'CGW_UNAUTHORIZED', message: 'wrong username or password' },
    });
    expect(unknown.body).toBe(wrong.body);
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('logs in a config user with a passwordHash, with the role the config gives', async () => {
    await start();
    const duty = await login('duty', PASSWORDS.duty);
    expect(duty.statusCode).toBe(200);
    expect(duty.json()).toMatchObject({ username: 'duty', role: 'operator' });
    const guard = await login('guard', PASSWORDS.guard);
    expect(guard.json()).toMatchObject({ username: 'guard', role: 'viewer' });
    expect((await login('duty', PASSWORDS.guard)).statusCode).toBe(401);
  });

  it('answers 400 naming the field for a body without a password, and refuses a form post', async () => {
    await start();
    const res = await fixture.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: 'admin' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('CGW_INPUT_REJECTED');
    expect(res.json().error.message).toContain('"password"');
    const form = await fixture.app.inject({
      method: 'POST',
      url: '/api/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=admin&password=x',
    });
    expect(form.statusCode).toBe(415);
    expect(form.json().error.code).toBe('CGW_INPUT_REJECTED');
  });

  it('answers 429 with Retry-After after 10 failed logins per username and address, for a minute', async () => {
    await start();
    for (let i = 0; i < 10; i++) expect((await login('admin', `guess-${i}`)).statusCode).toBe(401);
    const limited = await login('admin', PASSWORDS.admin);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('CGW_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(60);
    // another address, and another username from this address, are not affected
    expect((await login('admin', PASSWORDS.admin, '10.0.0.9')).statusCode).toBe(200);
    expect((await login('duty', PASSWORDS.duty)).statusCode).toBe(200);
    fixture.clock.advance(60_000);
    expect((await login('admin', PASSWORDS.admin)).statusCode).toBe(200);
  });

  it('accepts the CGW_ADMIN_PASSWORD given at start-up, and generates nothing', async () => {
    await start({ adminPassword: 'from-the-environment' });
    expect(fixture.setup.generatedAdminPassword).toBeUndefined();
    expect((await login('admin', 'from-the-environment')).statusCode).toBe(200);
    expect((await login('admin', PASSWORDS.admin)).statusCode).toBe(401);
  });

  it('generates an admin password when none is given; it works and only its hash is kept', async () => {
    await start({ generateAdminPassword: true });
    const generated = fixture.setup.generatedAdminPassword;
    expect(generated).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(fixture.setup.adminPasswordHash).toMatch(/^scrypt\$/);
    expect(fixture.setup.adminPasswordHash).not.toContain(generated);
    expect((await login('admin', generated!)).statusCode).toBe(200);
  });
});

describe('sessions', () => {
  it('authenticates with the cookie and with a bearer token', async () => {
    await start();
    const token = await loginToken(fixture.app, 'duty');
    const viaCookie = await fixture.app.inject({ url: '/api/session', cookies: { [SESSION_COOKIE]: token } });
    expect(viaCookie.statusCode).toBe(200);
    expect(viaCookie.json()).toMatchObject({ username: 'duty', role: 'operator' });
    const viaBearer = await fixture.app.inject({ url: '/api/devices', headers: bearer(token) });
    expect(viaBearer.statusCode).toBe(200);
  });

  it('refuses an unknown token and a malformed Authorization header', async () => {
    await start();
    const unknown = await fixture.app.inject({ url: '/api/session', headers: bearer('x'.repeat(43)) });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe('CGW_UNAUTHORIZED');
    const basic = await fixture.app.inject({
      url: '/api/session',
      headers: { authorization: 'Basic YWRtaW46eA==' },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('logout ends the session and clears the cookie', async () => {
    await start();
    const token = await loginToken(fixture.app);
    const out = await fixture.app.inject({ method: 'POST', url: '/api/logout', headers: bearer(token) });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(
      new RegExp(`${SESSION_COOKIE}=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)`),
    );
    const after = await fixture.app.inject({ url: '/api/session', headers: bearer(token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toMatch(/log in again/);
  });

  it('refuses a session once sessionTtl has passed', async () => {
    await start();
    const token = await loginToken(fixture.app);
    fixture.clock.advance(3_600_000 - 1);
    expect((await fixture.app.inject({ url: '/api/session', headers: bearer(token) })).statusCode).toBe(200);
    fixture.clock.advance(1);
    const expired = await fixture.app.inject({ url: '/api/session', headers: bearer(token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('CGW_UNAUTHORIZED');
  });

  it('answers 401 JSON on every protected route of the OpenAPI document, and on unknown /api routes', async () => {
    await start();
    const doc = (await getAsAdmin('/api/openapi.json')).json();
    const protectedRoutes: Array<[string, string]> = [];
    for (const [path, operations] of Object.entries<Record<string, { security?: unknown[] }>>(doc.paths))
      for (const [method, op] of Object.entries(operations))
        if (!op.security) protectedRoutes.push([method.toUpperCase(), path.replace('{id}', 'door-b1-east')]);
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(6);
    for (const [method, url] of [...protectedRoutes, ['GET', '/api/no-such-thing']]) {
      const res = await fixture.app.inject({ method: method as 'GET' | 'POST', url });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expect(res.json(), `${method} ${url}`).toEqual({
        error: { code: 'CGW_UNAUTHORIZED', message: 'log in first (POST /api/login)' },
      });
    }
  });

  it('serves the page, health and metrics without a login', async () => {
    await start();
    for (const url of ['/', '/api/health', '/metrics'])
      expect((await fixture.app.inject({ url })).statusCode, url).toBe(200);
  });

  it('requireRole lets a role and those above it through, and refuses those below with 403', async () => {
    await start();
    fixture.app.get('/api/test-operator', { preHandler: requireRole('operator') }, async () => ({
      ok: true,
    }));
    const status = async (user?: 'admin' | 'duty' | 'guard') =>
      (
        await fixture.app.inject({
          url: '/api/test-operator',
          headers: user ? bearer(await loginToken(fixture.app, user)) : {},
        })
      ).statusCode;
    expect(await status('guard')).toBe(403);
    expect(await status('duty')).toBe(200);
    expect(await status('admin')).toBe(200);
    expect(await status()).toBe(401);
  });
});

describe('GET /api/health', () => {
  it('answers 200 "up" with every component when all are up', async () => {
    await start();
    const res = await fixture.app.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'up',
      components: {
        broker: { state: 'up', detail: '0 clients' },
        store: { state: 'up', detail: 'in memory' },
      },
    });
  });

  it('answers 200 "degraded" when a component is degraded, 503 "down" when one is down', async () => {
    await start();
    fixture.components.store = { state: 'degraded', detail: 'spooling' };
    const degraded = await fixture.app.inject({ url: '/api/health' });
    expect([degraded.statusCode, degraded.json().status]).toEqual([200, 'degraded']);
    fixture.components.broker = { state: 'down', detail: 'not listening' };
    const down = await fixture.app.inject({ url: '/api/health' });
    expect(down.statusCode).toBe(503);
    expect(down.json().status).toBe('down');
    expect(down.json().components.broker).toEqual({ state: 'down', detail: 'not listening' });
  });

  it('answers 503 when the health check itself throws', async () => {
    await start({
      health: () => {
        throw new Error('boom');
      },
    });
    const res = await fixture.app.inject({ url: '/api/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json().components.gateway.state).toBe('down');
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text with the store counters read at scrape time', async () => {
    await start();
    fixture.store.setStats({ written: 42, spoolDepth: 7 });
    const res = await fixture.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('cgw_points_written_total 42');
    expect(res.body).toContain('cgw_spool_depth 7');
    expect(res.body).toContain('cgw_rejects_total{reason="not_json"} 0');
  });
});

describe('GET /api/openapi.json', () => {
  it('lists every route with schemas generated from the zod schemas', async () => {
    await start();
    const res = await getAsAdmin('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries<Record<string, unknown>>(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /',
        'POST /api/login',
        'POST /api/logout',
        'GET /api/session',
        'GET /api/health',
        'GET /api/devices',
        'GET /api/devices/{id}',
        'GET /api/devices/{id}/series',
        'GET /api/cameras/{id}/snapshot',
        'GET /api/dead-letters',
        'GET /api/alerts',
        'GET /api/alerts/{id}',
        'POST /api/alerts/{id}/ack',
        'POST /api/alerts/{id}/resolve',
        'GET /api/alerts/{id}/snapshot',
        'GET /api/alerts/{id}/ack-link',
        'POST /api/alerts/{id}/ack-link',
        'GET /api/kpi',
        'GET /api/events',
        'GET /metrics',
        'GET /api/openapi.json',
        'GET /api/stream',
        'GET /api/users',
        'POST /api/users',
        'POST /api/users/{username}/disable',
        'POST /api/users/{username}/enable',
        'POST /api/users/{username}/password',
        'POST /api/users/{username}/role',
        'GET /api/audit',
      ].sort(),
    );
    const series = doc.paths['/api/devices/{id}/series'].get;
    const params = Object.fromEntries(series.parameters.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(params).sort()).toEqual(['field', 'from', 'id', 'points', 'to']);
    expect(params.field).toMatchObject({ in: 'query', required: true });
    expect(params.id).toMatchObject({ in: 'path', required: true });
    expect(params.points.schema).toMatchObject({ type: 'integer', maximum: 5000, default: 500 });
    expect(series.responses['200'].content['application/json'].schema.properties.points.type).toBe('array');
    const login = doc.paths['/api/login'].post;
    expect(login.security).toEqual([]);
    expect(login.requestBody.content['application/json'].schema.required.sort()).toEqual([
      'password',
      'username',
    ]);
    expect(
      doc.paths['/api/devices'].get.responses['200'].content['application/json'].schema.items.required,
    ).toContain('online');
    expect(doc.paths['/metrics'].get.responses['200'].content).toHaveProperty(['text/plain; version=0.0.4']);
  });
});

describe('errors', () => {
  it('answers 404 JSON for an unknown route when logged in', async () => {
    await start();
    const res = await getAsAdmin('/api/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('CGW_NOT_FOUND');
  });

  it('answers 500 with a code and no stack or internal message for an unexpected error', async () => {
    await start();
    fixture.app.get('/api/test-crash', async () => {
      throw new Error('secret internal detail');
    });
    const res = await getAsAdmin('/api/test-crash');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'CGW_INTERNAL', message: 'internal error' } });
    expect(res.body).not.toMatch(/secret internal detail|at .*\.ts:\d+/);
  });
});

describe('GET /', () => {
  it('serves the built page with a Content-Security-Policy that allows no inline script', async () => {
    await start();
    const res = await fixture.app.inject({ url: '/' });
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<title>community-gateway</title>');
    expect(res.body).toContain('garden-court');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.body).not.toMatch(/<script>|<style>/);
  });
});
