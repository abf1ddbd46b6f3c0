import http from 'node:http';
import https from 'node:https';
import { InfluxDB, ResultError, type IPoolOptions } from 'influx';
import { GatewayError, errorMessage } from '../errors.ts';

/**
 * The InfluxDB 1.x HTTP API as the series store needs it.
 *
 * - Writes are raw line protocol POSTed to `/write?precision=ms` over node:http with a keep-alive
 *   agent: the body is already built (and spooled) by the time it is sent, so the client's
 *   writePoints has nothing to add. (fetch copied every body through web streams: at 30,000
 *   points/s that was 6 % of the CPU and tens of MB of malloc churn in RSS.)
 * - Raw range reads use `/query?chunked=true`: an unchunked answer is cut at the server's
 *   `max-row-limit`, a chunked one is not.
 * - CREATE DATABASE, SHOW FIELD KEYS and aggregate queries go through the `influx` client, with
 *   its own retry and host-disabling switched off: the store owns retries, and the client's
 *   disabled-host timer would otherwise refuse queries for seconds after InfluxDB is back.
 */

export interface InfluxEndpoint {
  /** Base URL without the database, e.g. `http://127.0.0.1:8086` (a path prefix is kept). */
  url: string;
  database: string;
  username?: string;
  password?: string;
  timeoutMs: number;
}

export type WriteResult =
  | { status: 'stored' }
  /** InfluxDB refused some or all of the points for good (400: type conflict, bad line, …). */
  | { status: 'rejected'; dropped: number | undefined; message: string }
  /** 413: the body is over the server's max-body-size. */
  | { status: 'too-large' };

interface QueryAnswer {
  results?: { error?: string; series?: { columns: string[]; values?: unknown[][] }[] }[];
  error?: string;
}

const NEVER_DISABLE: NonNullable<IPoolOptions['backoff']> = {
  getDelay: () => 0,
  next: () => NEVER_DISABLE,
  reset: () => NEVER_DISABLE,
};

/** InfluxQL identifier: double-quoted, with `\` and `"` escaped. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

function unavailable(message: string, cause?: unknown, context: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('CGW_STORE_UNAVAILABLE', message, { cause, context });
}

export class InfluxHttp {
  readonly client: InfluxDB;
  readonly #endpoint: InfluxEndpoint;
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #agent: http.Agent;

  constructor(endpoint: InfluxEndpoint) {
    this.#endpoint = endpoint;
    this.#base = endpoint.url.replace(/\/+$/, '');
    this.#headers = {};
    if (endpoint.username !== undefined) {
      const token = Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64');
      this.#headers.authorization = `Basic ${token}`;
    }
    const url = new URL(this.#base);
    this.#agent = new (url.protocol === 'https:' ? https.Agent : http.Agent)({
      keepAlive: true,
      maxSockets: 4,
    });
    this.client = new InfluxDB({
      host: url.hostname,
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      path: url.pathname === '/' ? '' : url.pathname,
      database: endpoint.database,
      username: endpoint.username,
      password: endpoint.password,
      pool: { maxRetries: 0, requestTimeout: endpoint.timeoutMs, backoff: NEVER_DISABLE },
    });
  }

  /**
   * Sends line protocol. Resolves with what InfluxDB decided; rejects with a transient
   * CGW_STORE_UNAVAILABLE when it could not be asked (network, timeout, 5xx, auth, missing
   * database: `context.databaseMissing`), or with the abort reason when `signal` fired.
   */
  async write(body: Buffer, signal: AbortSignal): Promise<WriteResult> {
    const db = encodeURIComponent(this.#endpoint.database);
    let res: { status: number; text: string };
    try {
      res = await this.#post(`/write?db=${db}&precision=ms`, body, 'text/plain; charset=utf-8', {
        signal,
        timeoutMs: this.#endpoint.timeoutMs,
      });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw unavailable(`InfluxDB write failed: ${errorMessage(err)}`, err);
    }
    const { text } = res;
    if (res.status === 204 || res.status === 200) return { status: 'stored' };
    const message = parseError(text) ?? `HTTP ${res.status}`;
    if (res.status === 413) return { status: 'too-large' };
    if (res.status === 404 && /database not found/i.test(message)) {
      throw unavailable(message, undefined, { status: 404, databaseMissing: true });
    }
    if (res.status >= 500 || res.status === 401 || res.status === 403 || res.status === 429) {
      throw unavailable(`InfluxDB answered ${res.status}: ${message}`, undefined, { status: res.status });
    }
    const dropped = /dropped=(\d+)/.exec(message)?.[1];
    return { status: 'rejected', dropped: dropped === undefined ? undefined : Number(dropped), message };
  }

  /** Drops the idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  /** One POST; resolves with the status and the answer's text, rejects on network trouble or timeout. */
  #post(
    path: string,
    body: Buffer,
    contentType: string,
    options: { signal?: AbortSignal; timeoutMs: number },
  ): Promise<{ status: number; text: string }> {
    const url = new URL(this.#base + path);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          agent: this.#agent,
          signal: options.signal,
          timeout: options.timeoutMs,
          headers: { ...this.#headers, 'content-type': contentType, 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async createDatabase(): Promise<void> {
    try {
      await this.client.createDatabase(this.#endpoint.database);
    } catch (err) {
      throw unavailable(`cannot create database: ${errorMessage(err)}`, err);
    }
  }

  /** InfluxDB types of a measurement's fields (`float`, `integer`, `boolean`, `string`), per field. */
  async fieldTypes(measurement: string): Promise<Map<string, Set<string>>> {
    const rows = await viaClient(() =>
      this.client.query<{ fieldKey: string; fieldType: string }>(
        `SHOW FIELD KEYS FROM ${quoteIdent(measurement)}`,
      ),
    );
    const types = new Map<string, Set<string>>();
    for (const row of rows) {
      const set = types.get(row.fieldKey) ?? new Set<string>();
      set.add(row.fieldType);
      types.set(row.fieldKey, set);
    }
    return types;
  }

  /** An aggregate query (few rows) through the client: [time ms, value] per row. */
  async aggregate(q: string, placeholders: Record<string, string>): Promise<[number, unknown][]> {
    const answer = (await viaClient(() =>
      this.client.queryRaw(q, { precision: 'ms', placeholders }),
    )) as QueryAnswer;
    return rowsOf(answer);
  }

  /** A raw select, chunked so no row limit applies: [time ms, value] per row, in time order. */
  async select(q: string, params: Record<string, string>): Promise<[number, unknown][]> {
    const search = new URLSearchParams({
      db: this.#endpoint.database,
      q,
      epoch: 'ms',
      chunked: 'true',
      chunk_size: '10000',
      params: JSON.stringify(params),
    });
    let res: { status: number; text: string };
    try {
      res = await this.#post('/query', Buffer.from(search.toString()), 'application/x-www-form-urlencoded', {
        timeoutMs: this.#endpoint.timeoutMs * 3,
      });
    } catch (err) {
      throw unavailable(`InfluxDB query failed: ${errorMessage(err)}`, err);
    }
    const { text } = res;
    if (res.status >= 500) throw unavailable(`InfluxDB query failed: HTTP ${res.status}`);
    if (res.status >= 400) {
      throw new GatewayError(
        'CGW_STORE_REJECTED',
        `InfluxDB query failed: ${parseError(text) ?? res.status}`,
      );
    }
    const rows: [number, unknown][] = [];
    for (const line of text.split('\n')) {
      if (line.trim()) rowsOf(JSON.parse(line) as QueryAnswer, rows);
    }
    return rows;
  }
}

/** The client's errors as coded ones: InfluxDB's own answer is final, anything else transient. */
async function viaClient<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ResultError) {
      throw new GatewayError('CGW_STORE_REJECTED', `InfluxDB query failed: ${err.message}`, { cause: err });
    }
    throw unavailable(`InfluxDB query failed: ${errorMessage(err)}`, err);
  }
}

function parseError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return text.trim() || undefined;
  }
}

function rowsOf(answer: QueryAnswer, rows: [number, unknown][] = []): [number, unknown][] {
  const failure = answer.error ?? answer.results?.find((r) => r.error)?.error;
  if (failure) throw new GatewayError('CGW_STORE_REJECTED', `InfluxDB query failed: ${failure}`);
  for (const result of answer.results ?? []) {
    for (const series of result.series ?? []) {
      for (const row of series.values ?? []) rows.push([Number(row[0]), row[1]]);
    }
  }
  return rows;
}
