import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bearer,
  loginToken,
  PASSWORDS,
  startDashboard,
  type DashboardFixture,
} from '../../test/fixtures/dashboard-app.ts';
import { auditEntrySchema, userSchema } from './users.ts';

let f: DashboardFixture;
let tokens: { admin: string; duty: string; guard: string };

beforeEach(async () => {
  f = await startDashboard();
  tokens = {
    admin: await loginToken(f.app, 'admin'),
    duty: await loginToken(f.app, 'duty'),
    guard: await loginToken(f.app, 'guard'),
  };
});
afterEach(async () => {
  await f.app.close();
});

const post = (url: string, token: string, payload?: Record<string, unknown>) =>
  f.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload ? { payload } : {}) });
const get = (url: string, token = tokens.admin) => f.app.inject({ url, headers: bearer(token) });
const login = (username: string, password: string) =>
  f.app.inject({ method: 'POST', url: '/api/login', payload: { username, password } });

const NEW_USER = { username: 'night-1', role: 'operator', password: 'night-shift-pass' };

describe('user routes', () => {
  const routes: Array<[string, string, Record<string, unknown> | undefined]> = [
    ['GET', '/api/users', undefined],
    ['POST', '/api/users', NEW_USER],
    ['POST', '/api/users/night-1/disable', undefined],
    ['POST', '/api/users/night-1/enable', undefined],
    ['POST', '/api/users/night-1/password', { password: 'another-pass-1' }],
    ['POST', '/api/users/night-1/role', { role: 'viewer' }],
    ['GET', '/api/audit', undefined],
  ];

  it.each(routes)(
    '%s %s: 401 without a login, 403 for a viewer and an operator',
    async (method, url, payload) => {
      const none = await f.app.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) });
      expect(none.statusCode).toBe(401);
      for (const who of ['guard', 'duty'] as const) {
        const res = await f.app.inject({
          method: method as 'GET',
          url,
          headers: bearer(tokens[who]),
          ...(payload ? { payload } : {}),
        });
        expect(res.statusCode).toBe(403);
        expect(res.json().error.code).toBe('CGW_FORBIDDEN');
      }
    },
  );

  it('lets the admin make, list, disable, enable and reset a user; the list shows who is read-only', async () => {
    const made = await post('/api/users', tokens.admin, NEW_USER);
    expect(made.statusCode).toBe(201);
    expect(userSchema.strict().parse(made.json())).toEqual({
      username: 'night-1',
      role: 'operator',
      source: 'managed',
      disabled: false,
      createdAt: f.clock.now(),
      createdBy: 'admin',
      updatedAt: f.clock.now(),
    });
    expect(JSON.stringify(made.json())).not.toContain('scrypt');
    const list = (await get('/api/users')).json() as Array<{ username: string; source: string }>;
    expect(list.map((u) => [u.username, u.source])).toEqual([
      ['admin', 'builtin'],
      ['duty', 'config'],
      ['guard', 'config'],
      ['night-1', 'managed'],
    ]);
    // Stored hashed.
    expect(f.authStore.users.get('night-1')!.passwordHash).toMatch(/^scrypt\$/);

    const night = (await login('night-1', NEW_USER.password)).json().token as string;
    expect((await get('/api/session', night)).json()).toMatchObject({
      username: 'night-1',
      role: 'operator',
    });

    const disabled = await post('/api/users/night-1/disable', tokens.admin);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json().disabled).toBe(true);
    expect((await get('/api/session', night)).statusCode).toBe(401);
    const refused = await login('night-1', NEW_USER.password);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toMatch(/disabled/);
    // A wrong password does not reveal that the account is disabled.
    expect((await login('night-1', 'wrong-password')).json().error.message).toBe(
      'wrong username or password',
    );

    expect((await post('/api/users/night-1/enable', tokens.admin)).json().disabled).toBe(false);
    const again = (await login('night-1', NEW_USER.password)).json().token as string;

    const reset = await post('/api/users/night-1/password', tokens.admin, { password: 'brand-new-pass' });
    expect(reset.statusCode).toBe(200);
    expect((await get('/api/session', again)).statusCode).toBe(401);
    expect((await login('night-1', NEW_USER.password)).statusCode).toBe(401);
    expect((await login('night-1', 'brand-new-pass')).statusCode).toBe(200);
  });

  it("changes a user's role: their sessions end, the next login has the new role, the audit says from what", async () => {
    await post('/api/users', tokens.admin, NEW_USER);
    const before = (await login('night-1', NEW_USER.password)).json().token as string;
    expect((await get('/api/session', before)).json().role).toBe('operator');

    const changed = await post('/api/users/night-1/role', tokens.admin, { role: 'viewer' });
    expect(changed.statusCode).toBe(200);
    expect(userSchema.strict().parse(changed.json())).toMatchObject({ username: 'night-1', role: 'viewer' });
    expect((await get('/api/session', before)).statusCode).toBe(401);
    const after = (await login('night-1', NEW_USER.password)).json().token as string;
    expect((await get('/api/session', after)).json().role).toBe('viewer');
    const listed = (await get('/api/users')).json() as Array<{ username: string; role: string }>;
    expect(listed.find((u) => u.username === 'night-1')!.role).toBe('viewer');
    const audit = (await get('/api/audit')).json() as Array<{
      action: string;
      target: string;
      detail: string;
    }>;
    expect(audit.find((e) => e.action === 'user.role')).toMatchObject({
      target: 'night-1',
      detail: 'operator → viewer',
    });

    // A managed administrator cannot lower their own role (nobody could give it back to them).
    await post('/api/users', tokens.admin, { username: 'boss', role: 'admin', password: 'boss-password-1' });
    const boss = (await login('boss', 'boss-password-1')).json().token as string;
    const self = await post('/api/users/boss/role', boss, { role: 'viewer' });
    expect(self.statusCode).toBe(409);
    expect(self.json().error.message).toMatch(/your own role/);
    expect((await post('/api/users/night-1/role', boss, { role: 'operator' })).json().role).toBe('operator');
  });

  it('keeps admin and config users read-only (409) and refuses taken names (409), unknown users (404)', async () => {
    for (const name of ['admin', 'duty', 'guard']) {
      for (const action of ['disable', 'enable'])
        expect((await post(`/api/users/${name}/${action}`, tokens.admin)).statusCode).toBe(409);
      expect((await post(`/api/users/${name}/role`, tokens.admin, { role: 'viewer' })).statusCode).toBe(409);
      const reset = await post(`/api/users/${name}/password`, tokens.admin, { password: 'whatever-123' });
      expect(reset.statusCode).toBe(409);
      expect(reset.json().error.code).toBe('CGW_CONFLICT');
      const taken = await post('/api/users', tokens.admin, { ...NEW_USER, username: name });
      expect(taken.statusCode).toBe(409);
    }
    expect((await login('duty', PASSWORDS.duty)).statusCode).toBe(200);
    expect((await post('/api/users', tokens.admin, NEW_USER)).statusCode).toBe(201);
    expect((await post('/api/users', tokens.admin, NEW_USER)).statusCode).toBe(409);
    expect((await post('/api/users/nobody/disable', tokens.admin)).statusCode).toBe(404);
    expect((await post('/api/users/nobody/role', tokens.admin, { role: 'viewer' })).statusCode).toBe(404);
  });

  it('answers 400 naming the field for bad input', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['/api/users', { ...NEW_USER, role: 'root' }, /body field "role"/],
      ['/api/users', { ...NEW_USER, password: 'short' }, /body field "password": must be at least 8/],
      ['/api/users', { ...NEW_USER, username: 'a b/c' }, /body field "username": must be 1-64/],
      ['/api/users', { username: 'x', role: 'viewer' }, /body field "password": required/],
      ['/api/users', { ...NEW_USER, extra: 1 }, /unknown "extra"/],
      ['/api/users/night-1/password', {}, /body field "password": required/],
      ['/api/users/night-1/role', { role: 'root' }, /body field "role"/],
      ['/api/users/bad%20name/disable', {}, /path parameter "username"/],
    ];
    for (const [url, payload, message] of cases) {
      const res = await post(url, tokens.admin, payload);
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code).toBe('CGW_INPUT_REJECTED');
      expect(res.json().error.message).toMatch(message);
    }
    expect((await get('/api/audit?limit=0')).statusCode).toBe(400);
    expect((await get('/api/audit?from=yesterday')).json().error.message).toMatch(/query parameter "from"/);
    expect((await get('/api/audit?from=2000&to=1000')).statusCode).toBe(400);
  });
});

describe('GET /api/audit', () => {
  it('records logins, failures, logouts and user changes with who, what, target and address', async () => {
    await login('guard', 'wrong-password');
    await post('/api/users', tokens.admin, NEW_USER);
    await post('/api/users/night-1/disable', tokens.admin);
    await post('/api/users/night-1/enable', tokens.admin);
    await post('/api/users/night-1/password', tokens.admin, { password: 'brand-new-pass' });
    await post('/api/logout', tokens.duty);
    const res = await get('/api/audit');
    expect(res.statusCode).toBe(200);
    const entries = res.json() as Array<Record<string, unknown>>;
    for (const e of entries) expect(auditEntrySchema.strict().safeParse(e).success).toBe(true);
    const actions = entries.map((e) => `${e.username} ${e.action} ${e.target ?? '-'}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'admin login -',
        'duty login -',
        'guard login -',
        'guard login.failed -',
        'admin user.create night-1',
        'admin user.disable night-1',
        'admin user.enable night-1',
        'admin user.password night-1',
        'duty logout -',
      ]),
    );
    expect(entries[0]).toMatchObject({ username: 'duty', action: 'logout', address: '127.0.0.1' });
    expect(entries.find((e) => e.action === 'login.failed')!.detail).toBe('wrong username or password');
    expect(entries.find((e) => e.action === 'user.create')!.detail).toBe('role operator');
    expect(JSON.stringify(entries)).not.toContain('brand-new-pass');
  });

  it('filters by time and limits', async () => {
    const t0 = f.clock.now();
    f.clock.advance(60_000);
    await post('/api/users', tokens.admin, NEW_USER);
    const later = (await get(`/api/audit?from=${t0 + 1}`)).json() as Array<{ action: string }>;
    expect(later.map((e) => e.action)).toEqual(['user.create']);
    const earlier = (await get(`/api/audit?to=${t0 + 1}`)).json() as Array<{ action: string }>;
    expect(earlier.every((e) => e.action === 'login')).toBe(true);
    expect(earlier).toHaveLength(3);
    expect((await get('/api/audit?limit=2')).json()).toHaveLength(2);
  });
});
