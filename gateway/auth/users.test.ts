import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../errors.ts';
import { hashPassword } from './password.ts';
import { AuthService, roleAtLeast, setupAuth } from './users.ts';

const clock = { t: 5_000_000, now: () => clock.t };
const adminHash = await hashPassword('admin-pw');

function service(options: { maxFailedLogins?: number } = {}): AuthService {
  return new AuthService({
    users: [{ username: 'admin', role: 'admin', passwordHash: adminHash }],
    sessionTtlMs: 60_000,
    clock,
    ...options,
  });
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (isGatewayError(err)) return err.code;
    throw err;
  }
}

describe('roleAtLeast', () => {
  it('orders viewer < operator < admin', () => {
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('operator', 'viewer')).toBe(true);
    expect(roleAtLeast('operator', 'admin')).toBe(false);
    expect(roleAtLeast('admin', 'operator')).toBe(true);
  });
});

describe('setupAuth', () => {
  const base = { users: [], sessionTtlMs: 60_000, clock };

  it('keeps using a stored admin hash when no password is given, generating nothing', async () => {
    const setup = await setupAuth({ ...base, adminPasswordHash: adminHash });
    expect(setup.generatedAdminPassword).toBeUndefined();
    expect(setup.adminPasswordHash).toBe(adminHash);
    expect(await code(setup.auth.login('admin', 'admin-pw', '::1'))).toBe('ok');
  });

  it('prefers CGW_ADMIN_PASSWORD over a stored hash', async () => {
    const setup = await setupAuth({ ...base, adminPassword: 'new-pw', adminPasswordHash: adminHash });
    expect(await code(setup.auth.login('admin', 'new-pw', '::1'))).toBe('ok');
    expect(await code(setup.auth.login('admin', 'admin-pw', '::1'))).toBe('CGW_UNAUTHORIZED');
  });

  it('refuses a config user named admin, an empty admin password and a corrupt stored hash', async () => {
    const admin = { username: 'admin', role: 'viewer' as const, passwordHash: adminHash };
    expect(await code(setupAuth({ ...base, users: [admin], adminPassword: 'x' }))).toBe('CGW_CONFIG_INVALID');
    expect(await code(setupAuth({ ...base, adminPassword: '' }))).toBe('CGW_CONFIG_INVALID');
    expect(await code(setupAuth({ ...base, adminPasswordHash: 'scrypt$garbage' }))).toBe(
      'CGW_CONFIG_INVALID',
    );
  });
});

describe('AuthService.login', () => {
  it('refuses an unknown user even with the password of a known one', async () => {
    expect(await code(service().login('nobody', 'admin-pw', '::1'))).toBe('CGW_UNAUTHORIZED');
  });

  it('forgets failures after a successful login', async () => {
    const auth = service({ maxFailedLogins: 3 });
    for (let i = 0; i < 2; i++) expect(await code(auth.login('admin', 'x', 'a'))).toBe('CGW_UNAUTHORIZED');
    expect(await code(auth.login('admin', 'admin-pw', 'a'))).toBe('ok');
    for (let i = 0; i < 2; i++) expect(await code(auth.login('admin', 'x', 'a'))).toBe('CGW_UNAUTHORIZED');
    expect(await code(auth.login('admin', 'admin-pw', 'a'))).toBe('ok');
  });

  it('limits over a sliding window and says when to retry', async () => {
    const auth = service({ maxFailedLogins: 2 });
    const start = clock.t;
    await code(auth.login('admin', 'x', 'a'));
    clock.t = start + 20_000;
    await code(auth.login('admin', 'x', 'a'));
    clock.t = start + 30_000;
    const limited = await auth.login('admin', 'admin-pw', 'a').catch((err: unknown) => err);
    expect(isGatewayError(limited, 'CGW_RATE_LIMITED') && limited.context.retryAfterMs).toBe(30_000);
    clock.t = start + 60_000; // the first failure left the window: one attempt free again
    expect(await code(auth.login('admin', 'admin-pw', 'a'))).toBe('ok');
  });

  it('counts attempts while they run, so parallel guesses cannot overshoot the limit', async () => {
    const auth = service({ maxFailedLogins: 5 });
    const codes = await Promise.all(Array.from({ length: 12 }, () => code(auth.login('admin', 'x', 'a'))));
    expect(codes.filter((c) => c === 'CGW_UNAUTHORIZED')).toHaveLength(5);
    expect(codes.filter((c) => c === 'CGW_RATE_LIMITED')).toHaveLength(7);
  });

  it('authenticates the token of a login and not after logout', async () => {
    const auth = service();
    const { token } = await auth.login('admin', 'admin-pw', 'a');
    expect(auth.authenticate(token)?.role).toBe('admin');
    expect(auth.authenticate(undefined)).toBeUndefined();
    expect(auth.logout(token)).toBe(true);
    expect(auth.authenticate(token)).toBeUndefined();
  });

  it('refuses a user defined twice', () => {
    const user = { username: 'a', role: 'viewer' as const, passwordHash: adminHash };
    expect(() => new AuthService({ users: [user, user], sessionTtlMs: 1000, clock })).toThrow(/twice/);
  });
});
