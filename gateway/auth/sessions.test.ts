import { describe, expect, it } from 'vitest';
import { SessionStore } from './sessions.ts';

function clock(start = 1_000_000) {
  return {
    t: start,
    now() {
      return this.t;
    },
  };
}

describe('SessionStore', () => {
  it('issues distinct 32-byte base64url tokens', () => {
    const store = new SessionStore({ ttlMs: 1000, clock: clock() });
    const tokens = new Set(
      Array.from({ length: 500 }, () => store.create({ username: 'a', role: 'viewer' }).token),
    );
    expect(tokens.size).toBe(500);
    for (const token of tokens) expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('finds a session until its ttl has passed, then forgets it', () => {
    const c = clock();
    const store = new SessionStore({ ttlMs: 1000, clock: c });
    const { token, session } = store.create({ username: 'duty', role: 'operator' });
    expect(session).toEqual({ username: 'duty', role: 'operator', createdAt: c.t, expiresAt: c.t + 1000 });
    c.t += 999;
    expect(store.get(token)?.username).toBe('duty');
    c.t += 1;
    expect(store.get(token)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('refuses an empty or unknown token', () => {
    const store = new SessionStore({ ttlMs: 1000, clock: clock() });
    store.create({ username: 'a', role: 'viewer' });
    expect(store.get('')).toBeUndefined();
    expect(store.get('nope')).toBeUndefined();
  });

  it('deletes one session, or every session of a user', () => {
    const store = new SessionStore({ ttlMs: 1000, clock: clock() });
    const a1 = store.create({ username: 'a', role: 'viewer' }).token;
    const a2 = store.create({ username: 'a', role: 'viewer' }).token;
    const b = store.create({ username: 'b', role: 'admin' }).token;
    expect(store.delete(a1)).toBe(true);
    expect(store.delete(a1)).toBe(false);
    expect(store.get(a1)).toBeUndefined();
    expect(store.deleteUser('a')).toBe(1);
    expect(store.get(a2)).toBeUndefined();
    expect(store.get(b)?.username).toBe('b');
  });

  it('sweeps expired sessions out on a later login, without a timer', () => {
    const c = clock();
    const store = new SessionStore({ ttlMs: 1000, clock: c });
    for (let i = 0; i < 10; i++) store.create({ username: `u${i}`, role: 'viewer' });
    c.t += 61_000;
    store.create({ username: 'late', role: 'viewer' });
    expect(store.size).toBe(1);
  });

  it('rejects a non-positive ttl', () => {
    expect(() => new SessionStore({ ttlMs: 0, clock: clock() })).toThrow(RangeError);
  });
});
