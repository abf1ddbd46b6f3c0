import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../gateway/errors.ts';

/** Who a verified link speaks for: the channel it was sent to (the link itself names no person). */
export interface AckLinkClaim {
  channel: string;
  expiresAt: number;
}

/**
 * Acknowledge links that work without a login: `<base>/api/alerts/<id>/ack-link?token=…`. The token
 * binds the alert id, the channel it was sent to and an expiry with an HMAC under a key kept in
 * the data directory, so a link cannot be forged for another alert nor used after it expires.
 */
export class AckLinks {
  readonly #key: Buffer;
  readonly #ttlMs: number;

  constructor(key: Buffer, ttlMs: number) {
    this.#key = key;
    this.#ttlMs = ttlMs;
  }

  /** The key from `<dataDir>/alerts.key`, created on first start (links survive restarts). */
  static fromDataDir(dataDir: string, ttlMs: number): AckLinks {
    const path = join(dataDir, 'alerts.key');
    if (!existsSync(path)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    }
    return new AckLinks(Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'), ttlMs);
  }

  token(alertId: string, channel: string, now: number): string {
    const claim = Buffer.from(JSON.stringify({ c: channel, e: now + this.#ttlMs })).toString('base64url');
    return `${claim}.${this.#sign(alertId, claim).toString('base64url')}`;
  }

  url(baseUrl: string, alertId: string, channel: string, now: number): string {
    const base = baseUrl.replace(/\/+$/, '');
    return `${base}/api/alerts/${encodeURIComponent(alertId)}/ack-link?token=${this.token(alertId, channel, now)}`;
  }

  /** The claim of a valid token; throws `CGW_RULE_LINK_INVALID` for a wrong or expired one. */
  verify(alertId: string, token: string, now: number): AckLinkClaim {
    const [claim, signature, extra] = String(token).split('.');
    const invalid = (why: string) =>
      new GatewayError('CGW_RULE_LINK_INVALID', `this acknowledge link is ${why}`, { context: { alertId } });
    if (!claim || !signature || extra !== undefined) throw invalid('not valid');
    const expected = this.#sign(alertId, claim);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('not valid');
    let parsed: { c?: unknown; e?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(claim, 'base64url').toString('utf8')) as { c?: unknown; e?: unknown };
    } catch {
      throw invalid('not valid');
    }
    if (typeof parsed.c !== 'string' || typeof parsed.e !== 'number') throw invalid('not valid');
    if (now > parsed.e) throw invalid('expired: acknowledge in the dashboard instead');
    return { channel: parsed.c, expiresAt: parsed.e };
  }

  #sign(alertId: string, claim: string): Buffer {
    return createHmac('sha256', this.#key).update(`cgw-ack\n${alertId}\n${claim}`).digest();
  }
}
