import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One POST the receiver took. */
export interface ReceivedWebhook {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
  /** `X-CGW-Signature` checked against the secret: true / false, or null without a secret. */
  signatureOk: boolean | null;
}

export interface WebhookReceiverOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Checks `X-CGW-Signature: sha256=<hex HMAC-SHA256 of the body>` with it. */
  secret?: string;
  /** Called with each request (the demo prints what a technician would read). */
  onReceive?: (hook: ReceivedWebhook) => void;
}

/** True when `header` is `sha256=<hex HMAC-SHA256 of body under secret>`. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(body).digest('hex'));
  const given = Buffer.from(String(header ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A chat robot's webhook endpoint on loopback: takes POSTs, answers `{"errcode":0}` like WeCom and
 * DingTalk robots do, and keeps what it got. `stop()` and `start()` again on the same port play a
 * receiver that is down for a while. Tests and the demo use it.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Answer this HTTP status instead of 200 (a broken receiver). */
  failWith: number | undefined;
  readonly #o: WebhookReceiverOptions;
  #server: Server | undefined;
  #port: number;

  constructor(options: WebhookReceiverOptions = {}) {
    this.#o = options;
    this.#port = options.port ?? 0;
  }

  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>/hook` */
  get url(): string {
    return `http://${this.#o.host ?? '127.0.0.1'}:${this.#port}/hook`;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.failWith) {
          res.writeHead(this.failWith).end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const signatureOk = this.#o.secret
          ? verifySignature(this.#o.secret, body, req.headers['x-cgw-signature'] as string | undefined)
          : null;
        const hook = { at: Date.now(), path: req.url ?? '/', headers: req.headers, body, json, signatureOk };
        this.received.push(hook);
        this.#o.onReceive?.(hook);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#o.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.#port = address.port;
    this.#server = server;
  }

  /** Stops listening and drops open connections (the gateway sees "connection refused"). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * What a technician reads from a received webhook, as lines for a terminal: the markdown of a
 * WeCom / DingTalk robot message, a Slack text, or a JSON alert's message.
 */
export function technicianView(hook: ReceivedWebhook): string {
  const body = hook.json as
    | { markdown?: { content?: string; text?: string }; text?: string; message?: string; event?: string }
    | undefined;
  const text =
    body?.markdown?.content ??
    body?.markdown?.text ??
    body?.text ??
    (body?.message ? `${body.event ?? 'alert'}: ${body.message}` : hook.body.slice(0, 500));
  const plain = text
    .replace(/<font[^>]*>|<\/font>/g, '')
    .replace(/\*\*|^#+ /gm, '')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1: $2');
  const signed = hook.signatureOk === null ? '' : hook.signatureOk ? ' (signature ok)' : ' (BAD SIGNATURE)';
  return `\n── chat message${signed} ──\n${plain.trim()}\n`;
}
