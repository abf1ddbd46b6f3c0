import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  digestAuthorization,
  parseDigestChallenge,
  parseDigestParams,
  pickChallenge,
} from './http-digest.ts';

describe('HTTP Digest', () => {
  it('answers the RFC 2617 example challenge with the RFC response', () => {
    const challenge = parseDigestChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(challenge).toEqual({
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      qop: 'auth',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      algorithm: 'MD5',
    });
    const header = digestAuthorization(challenge!, {
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      nc: 1,
      cnonce: '0a4f113b',
    });
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(parseDigestParams(header)).toMatchObject({ nc: '00000001', qop: 'auth', uri: '/dir/index.html' });
  });

  it('prefers SHA-256 when a camera offers both, and ignores Basic and unknown algorithms', () => {
    const picked = pickChallenge([
      'Basic realm="x"',
      'Digest qop="auth", realm="IP Camera", nonce="a1", stale="FALSE"',
      'Digest qop="auth", realm="IP Camera", nonce="b2", algorithm="SHA-256"',
    ]);
    expect(picked).toMatchObject({ algorithm: 'SHA-256', nonce: 'b2' });
    expect(parseDigestChallenge('Digest realm="x", nonce="n", algorithm=MD5-sess')).toBeUndefined();
    expect(parseDigestChallenge('Basic realm="x"')).toBeUndefined();
  });

  it('round-trips quotes and commas in values', () => {
    const header = digestAuthorization(
      { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: 'auth' },
      { method: 'GET', uri: '/a?b=1,2', username: 'we"ird, name', password: 'p' },
    );
    expect(parseDigestParams(header)).toMatchObject({ username: 'we"ird, name', uri: '/a?b=1,2' });
  });

  it('never throws on arbitrary header text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        expect(() => parseDigestChallenge(s)).not.toThrow();
        expect(() => parseDigestChallenge(`Digest ${s}`)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
