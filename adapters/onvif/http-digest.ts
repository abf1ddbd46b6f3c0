import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest (RFC 7616) client side, for snapshot URLs and for cameras that guard SOAP with it.
 * Pure apart from the random client nonce.
 */

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop?: string;
  opaque?: string;
  /** `MD5` or `SHA-256` (RFC 7616 names); absent means MD5. */
  algorithm: 'MD5' | 'SHA-256';
}

/** Splits `a="x, y", b=c` on commas outside quotes. */
function splitParams(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let escaped = false;
  for (const ch of text) {
    if (quoted && !escaped && ch === '\\') escaped = true;
    else if (ch === '"' && !escaped) quoted = !quoted;
    else escaped = false;
    if (ch === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((p) => p.trim()).filter(Boolean);
}

/** The parameters of a `Digest k=v, k="v"` header (challenge or answer), names in lower case. */
export function parseDigestParams(header: string): Record<string, string> | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const part of splitParams(match[1]!)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/s, '$1')
      .replace(/\\(.)/g, '$1');
  }
  return params;
}

/** One `WWW-Authenticate: Digest …` value; undefined when it is not a Digest challenge we can answer. */
export function parseDigestChallenge(header: string): DigestChallenge | undefined {
  const params = parseDigestParams(header);
  if (!params) return undefined;
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase().replace('SHA256', 'SHA-256');
  if (params.realm === undefined || !params.nonce || (algorithm !== 'MD5' && algorithm !== 'SHA-256'))
    return undefined;
  // `auth,auth-int` offers both; we only ever send `auth` (no body integrity needed for a GET).
  const qop = params.qop
    ?.split(',')
    .map((q) => q.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  return {
    realm: params.realm,
    nonce: params.nonce,
    algorithm,
    ...(qop ? { qop } : {}),
    ...(params.opaque !== undefined ? { opaque: params.opaque } : {}),
  };
}

/** The strongest challenge among several `WWW-Authenticate` values (SHA-256 over MD5). */
export function pickChallenge(headers: readonly string[]): DigestChallenge | undefined {
  const parsed = headers.map(parseDigestChallenge).filter((c): c is DigestChallenge => c !== undefined);
  return parsed.find((c) => c.algorithm === 'SHA-256') ?? parsed[0];
}

const hash = (algorithm: DigestChallenge['algorithm'], data: string): string =>
  createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(data, 'utf8')
    .digest('hex');

export interface DigestRequest {
  method: string;
  /** Path and query, exactly as sent in the request line. */
  uri: string;
  username: string;
  password: string;
  /** Request count for this nonce (1 for the first). */
  nc?: number;
  cnonce?: string;
}

/** The `Authorization` header value answering `challenge`. */
export function digestAuthorization(challenge: DigestChallenge, request: DigestRequest): string {
  const { algorithm, realm, nonce, qop } = challenge;
  const ha1 = hash(algorithm, `${request.username}:${realm}:${request.password}`);
  const ha2 = hash(algorithm, `${request.method}:${request.uri}`);
  const nc = (request.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = request.cnonce ?? randomBytes(8).toString('hex');
  const response = qop
    ? hash(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : hash(algorithm, `${ha1}:${nonce}:${ha2}`);
  const quote = (v: string): string => `"${v.replace(/["\\]/g, '\\$&')}"`;
  const parts = [
    `username=${quote(request.username)}`,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `uri=${quote(request.uri)}`,
    `algorithm=${algorithm}`,
    `response=${quote(response)}`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
