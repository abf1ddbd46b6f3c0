import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  digestAuthorization,
  parseDigestParams,
  type DigestChallenge,
} from '../adapters/onvif/http-digest.ts';
import { attr, child, passwordDigest, text, type XmlNode } from '../adapters/onvif/soap.ts';

/**
 * The camera side of authentication: WS-Security UsernameToken digests on SOAP calls and HTTP
 * Digest on the snapshot URL, as strict as real cameras are (a stale `Created` or a replayed nonce
 * is refused, which is what makes clock offsets matter).
 */

const PASSWORD_TEXT = /#PasswordText$/;

export interface AccountCheck {
  username: string;
  password: string;
  /** The camera's clock now, epoch ms. */
  cameraNowMs: number;
  /** How far `Created` may be from the camera's clock. */
  maxSkewMs: number;
}

export type AuthVerdict = { ok: true } | { ok: false; reason: string };

const equal = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Remembers nonces for the skew window, so one captured request cannot be replayed. */
export class NonceCache {
  readonly #seen = new Map<string, number>();

  /** False when the nonce was seen within `windowMs`. */
  fresh(nonce: string, now: number, windowMs: number): boolean {
    if (this.#seen.size > 5000)
      for (const [n, at] of this.#seen) if (now - at > windowMs) this.#seen.delete(n);
    const at = this.#seen.get(nonce);
    if (at !== undefined && now - at <= windowMs) return false;
    this.#seen.set(nonce, now);
    return true;
  }
}

/** Checks the UsernameToken in a SOAP Header. */
export function checkUsernameToken(
  header: XmlNode | undefined,
  account: AccountCheck,
  nonces: NonceCache,
): AuthVerdict {
  const token = child(child(header, 'Security'), 'UsernameToken');
  if (!token) return { ok: false, reason: 'no WS-Security UsernameToken' };
  const username = text(token.Username);
  const passwordNode = child(token, 'Password');
  const password = text(passwordNode);
  const nonce = text(token.Nonce);
  const created = text(token.Created);
  if (PASSWORD_TEXT.test(attr(passwordNode, 'Type')))
    return { ok: false, reason: 'PasswordText is not accepted' };
  if (!nonce || !created) return { ok: false, reason: 'token without Nonce or Created' };
  const createdMs = Date.parse(created);
  if (!Number.isFinite(createdMs)) return { ok: false, reason: 'Created is not a time' };
  if (Math.abs(createdMs - account.cameraNowMs) > account.maxSkewMs)
    return { ok: false, reason: `Created ${created} is too far from the camera clock` };
  if (!equal(username, account.username)) return { ok: false, reason: 'unknown user' };
  const expected = passwordDigest(Buffer.from(nonce, 'base64'), created, account.password);
  if (!equal(password, expected)) return { ok: false, reason: 'wrong password digest' };
  if (!nonces.fresh(nonce, account.cameraNowMs, account.maxSkewMs * 2))
    return { ok: false, reason: 'replayed nonce' };
  return { ok: true };
}

/** HTTP Digest for the snapshot URL: issues nonces and checks answers to them. */
export class DigestGuard {
  readonly realm: string;
  readonly #nonces = new Map<string, number>();
  readonly #lifetimeMs: number;

  constructor(realm: string, lifetimeMs = 5 * 60_000) {
    // node-onvif splits the challenge on `,` and `=`: keep both out of the realm.
    this.realm = realm.replace(/[,="\\]/g, ' ');
    this.#lifetimeMs = lifetimeMs;
  }

  /** A fresh `WWW-Authenticate` value. Hex nonces: base64 padding (`=`) would also confuse node-onvif. */
  challenge(now = Date.now()): string {
    for (const [nonce, at] of this.#nonces) if (now - at > this.#lifetimeMs) this.#nonces.delete(nonce);
    const nonce = randomBytes(16).toString('hex');
    this.#nonces.set(nonce, now);
    return `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=MD5`;
  }

  check(
    authorization: string | undefined,
    request: { method: string; url: string },
    account: { username: string; password: string },
    now = Date.now(),
  ): AuthVerdict {
    const params = authorization ? parseDigestParams(authorization) : undefined;
    if (!params) return { ok: false, reason: 'no Digest authorization' };
    const { username = '', nonce = '', uri = '', response = '', nc = '', cnonce = '', qop } = params;
    const issued = this.#nonces.get(nonce);
    if (issued === undefined || now - issued > this.#lifetimeMs)
      return { ok: false, reason: 'unknown or stale nonce' };
    if (uri !== request.url) return { ok: false, reason: 'uri does not match the request' };
    if (!equal(username, account.username)) return { ok: false, reason: 'unknown user' };
    const algorithm = (params.algorithm ?? 'MD5').toUpperCase() === 'SHA-256' ? 'SHA-256' : 'MD5';
    const challenge: DigestChallenge = { realm: this.realm, nonce, algorithm, ...(qop ? { qop } : {}) };
    const expected = digestAuthorization(challenge, {
      method: request.method,
      uri,
      ...account,
      nc: parseInt(nc || '1', 16),
      cnonce,
    });
    const want = /response="([0-9a-f]+)"/.exec(expected)?.[1] ?? '';
    return equal(response.toLowerCase(), want)
      ? { ok: true }
      : { ok: false, reason: 'wrong digest response' };
  }
}
