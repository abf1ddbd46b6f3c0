import http from 'node:http';
import https from 'node:https';
import { GatewayError, isGatewayError } from '../../gateway/errors.ts';
import { digestAuthorization, pickChallenge } from './http-digest.ts';
import {
  decodeDeviceInformation,
  decodeSystemDateAndTime,
  REQUEST,
  type DeviceInformation,
} from './messages.ts';
import { buildEnvelope, isAuthFault, MAX_SOAP_BYTES, parseSoap, type XmlNode } from './soap.ts';

/** The camera I/O: SOAP calls with WS-Security in the camera's time, and Digest-protected GETs. */

const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

interface HttpAnswer {
  status: number;
  contentType: string;
  challenges: string[];
  body: Buffer;
}

interface ExchangeOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  maxBytes: number;
}

/** The host and port of a URL, never its user-info: what a log line or an error may show. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/**
 * One HTTP exchange with a deadline for the whole answer (a camera that accepts the connection
 * and then says nothing must not hold us). A fresh connection each time: camera web servers are
 * poor at keep-alive, and a socket kept across a camera reboot only fails the next request.
 */
function exchange(url: URL, options: ExchangeOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const lib = url.protocol === 'https:' ? https : http;
    let done = false;
    const finish = (err: unknown, answer?: HttpAnswer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer!);
    };
    const onAbort = (): void => finish(options.signal!.reason);
    const timer = setTimeout(
      () =>
        finish(
          new GatewayError('CGW_ONVIF_TIMEOUT', `no answer within ${options.timeoutMs} ms`, {
            context: { url: maskUrl(url.href) },
          }),
        ),
      options.timeoutMs,
    );
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = lib.request(url, { method: options.method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes)
          finish(new GatewayError('CGW_ONVIF_MALFORMED', `answer larger than ${options.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (err) => finish(unreachable(err, url)));
      res.on('end', () =>
        finish(null, {
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          challenges: res.rawHeaders.filter(
            (_v, i, all) => i % 2 === 1 && /^www-authenticate$/i.test(all[i - 1]!),
          ),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', (err) => finish(unreachable(err, url)));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(options.body);
  });
}

function unreachable(err: Error & { code?: string }, url: URL): GatewayError {
  return new GatewayError('CGW_ONVIF_UNAVAILABLE', `unreachable: ${err.code ?? err.message}`, {
    cause: err,
    context: { url: maskUrl(url.href) },
  });
}

export interface OnvifClientOptions {
  xaddr: string;
  username: string;
  password: string;
  timeoutMs: number;
  /** Told each time the camera's clock is learned (to log a camera that is far off). */
  onClock?: (offsetMs: number, previousMs: number) => void;
}

export interface CallOptions {
  /** Sign with WS-Security (default true; GetSystemDateAndTime goes without). */
  auth?: boolean;
  /** WS-Addressing headers for subscription-manager calls. */
  to?: string;
  action?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class OnvifClient {
  readonly xaddr: string;
  /** Camera clock minus ours, ms, as learned by `syncClock`. */
  offsetMs = 0;
  readonly #credentials: { username: string; password: string };
  readonly #timeoutMs: number;
  readonly #onClock: OnvifClientOptions['onClock'];
  #nc = 0;

  constructor(options: OnvifClientOptions) {
    const url = new URL(options.xaddr);
    // User-info in the address would be sent as Basic auth by http.request: strip it.
    url.username = '';
    url.password = '';
    this.xaddr = url.toString();
    this.#credentials = { username: options.username, password: options.password };
    this.#timeoutMs = options.timeoutMs;
    this.#onClock = options.onClock;
  }

  cameraNow(): number {
    return Date.now() + this.offsetMs;
  }

  /** A camera-clock instant on our clock. */
  toLocal(cameraMs: number): number {
    return cameraMs - this.offsetMs;
  }

  /**
   * Learns the camera's clock (GetSystemDateAndTime is PRE_AUTH: no token, so a wrong clock
   * cannot spoil it). The camera gives whole seconds: the middle of that second, against the
   * middle of our round trip, is the best estimate.
   */
  async syncClock(signal?: AbortSignal): Promise<number> {
    const sent = Date.now();
    const body = await this.call(this.xaddr, REQUEST.getSystemDateAndTime, { auth: false, signal });
    const received = Date.now();
    const camera = decodeSystemDateAndTime(body);
    if (camera === undefined)
      throw new GatewayError('CGW_ONVIF_MALFORMED', 'GetSystemDateAndTime answer has no usable UTCDateTime');
    const previous = this.offsetMs;
    this.offsetMs = Math.round(camera + 500 - (sent + received) / 2);
    this.#onClock?.(this.offsetMs, previous);
    return this.offsetMs;
  }

  /**
   * One SOAP call; the answer's Body, or a coded GatewayError (never a raw parse error). A signed
   * call the camera refuses is sent once more after learning its clock again: a camera whose
   * clock was reset (reboot, someone setting it by hand) refuses tokens exactly as it refuses a
   * wrong password.
   */
  async call(url: string, body: string, options: CallOptions = {}): Promise<XmlNode> {
    try {
      return await this.#callOnce(url, body, options);
    } catch (err) {
      if (options.auth === false || !isGatewayError(err, 'CGW_ONVIF_UNAUTHORIZED')) throw err;
      await this.syncClock(options.signal);
      return this.#callOnce(url, body, options);
    }
  }

  async #callOnce(url: string, body: string, options: CallOptions): Promise<XmlNode> {
    const envelope = (): string =>
      buildEnvelope({
        body,
        ...(options.auth === false ? {} : { credentials: this.#credentials, cameraNowMs: this.cameraNow() }),
        ...(options.to ? { to: options.to } : {}),
        ...(options.action ? { action: options.action } : {}),
      });
    const answer = await this.#withDigest(new URL(url), {
      method: 'POST',
      headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
      body: envelope,
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      signal: options.signal,
      maxBytes: MAX_SOAP_BYTES,
    });
    const parsed = parseSoap(answer.body.toString('utf8'));
    if (parsed.kind === 'ok' && answer.status >= 200 && answer.status < 300) return parsed.body;
    if (parsed.kind === 'fault') {
      const { fault } = parsed;
      const detail = `${fault.subcode || fault.code}${fault.reason ? `: ${fault.reason}` : ''}`;
      if (isAuthFault(fault))
        throw new GatewayError('CGW_ONVIF_UNAUTHORIZED', `credentials refused (${detail})`, {
          context: { fault },
        });
      throw new GatewayError('CGW_ONVIF_FAULT', `SOAP fault ${detail}`, { context: { fault } });
    }
    if (answer.status === 401)
      throw new GatewayError('CGW_ONVIF_UNAUTHORIZED', 'credentials refused (HTTP 401)');
    if (answer.status >= 500 && parsed.kind === 'malformed')
      throw new GatewayError('CGW_ONVIF_UNAVAILABLE', `HTTP ${answer.status} without a SOAP answer`);
    if (parsed.kind === 'malformed')
      throw new GatewayError('CGW_ONVIF_MALFORMED', `malformed answer: ${parsed.detail}`);
    throw new GatewayError('CGW_ONVIF_FAULT', `HTTP ${answer.status}`);
  }

  /** A JPEG (or whatever image the camera serves) from a snapshot URI, with HTTP Digest if asked. */
  async snapshot(uri: string, signal?: AbortSignal): Promise<Buffer> {
    const url = new URL(uri);
    url.username = '';
    url.password = '';
    const answer = await this.#withDigest(url, {
      method: 'GET',
      headers: { accept: 'image/jpeg' },
      timeoutMs: this.#timeoutMs,
      signal,
      maxBytes: MAX_IMAGE_BYTES,
    });
    if (answer.status === 401 || answer.status === 403)
      throw new GatewayError(
        'CGW_ONVIF_UNAUTHORIZED',
        `snapshot credentials refused (HTTP ${answer.status})`,
      );
    if (answer.status >= 500)
      throw new GatewayError('CGW_ONVIF_UNAVAILABLE', `snapshot: HTTP ${answer.status}`);
    if (answer.status !== 200) throw new GatewayError('CGW_ONVIF_FAULT', `snapshot: HTTP ${answer.status}`);
    if (!answer.contentType.startsWith('image/') && answer.contentType !== '')
      throw new GatewayError(
        'CGW_ONVIF_MALFORMED',
        `snapshot is ${answer.contentType.slice(0, 60)}, not an image`,
      );
    return answer.body;
  }

  /** Sends; on a Digest challenge, sends once more with the answer to it. */
  async #withDigest(
    url: URL,
    options: Omit<ExchangeOptions, 'body'> & { body?: () => string },
  ): Promise<HttpAnswer> {
    const send = (headers: Record<string, string>): Promise<HttpAnswer> =>
      exchange(url, { ...options, headers: { ...options.headers, ...headers }, body: options.body?.() });
    const first = await send({});
    const challenge = first.status === 401 ? pickChallenge(first.challenges) : undefined;
    if (!challenge) return first;
    this.#nc = (this.#nc % 0xffffffff) + 1;
    const authorization = digestAuthorization(challenge, {
      method: options.method,
      uri: url.pathname + url.search,
      ...this.#credentials,
      nc: this.#nc,
    });
    return send({ authorization });
  }
}

/** What one signed call to a camera showed: its model, or why not. */
export type CameraCheck =
  { ok: true; info: DeviceInformation; clockOffsetMs: number } | { ok: false; code: string; reason: string };

/**
 * Learns the camera's clock, then signs one GetDeviceInformation with the given credentials:
 * `cgw discover --config` uses it to tell "credentials work" from "refused" from "unreachable".
 */
export async function checkCamera(options: OnvifClientOptions): Promise<CameraCheck> {
  const client = new OnvifClient(options);
  try {
    await client.syncClock();
    const info = decodeDeviceInformation(await client.call(client.xaddr, REQUEST.getDeviceInformation));
    if (!info)
      return { ok: false, code: 'CGW_ONVIF_MALFORMED', reason: 'GetDeviceInformation answer not understood' };
    return { ok: true, info, clockOffsetMs: client.offsetMs };
  } catch (err) {
    return {
      ok: false,
      code: err instanceof GatewayError ? err.code : 'CGW_INTERNAL',
      reason: err instanceof Error ? err.message : String(err),
    };
  }
}
