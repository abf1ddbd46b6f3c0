import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineFixture } from '../../test/fixtures/rules-engine.ts';
import { loginToken, startDashboard, type DashboardFixture } from '../../test/fixtures/dashboard-app.ts';
import { buildApp, SESSION_COOKIE } from '../app.ts';
import { alertSchema } from './alert-schemas.ts';
import { MAX_STREAMS_PER_USER } from './stream.ts';

let dash: DashboardFixture;
let f: EngineFixture;
let app: Awaited<ReturnType<typeof buildApp>>;
let base: string;
const streams: IncomingMessage[] = [];

beforeEach(async () => {
  f = await EngineFixture.create(`rules:\n  - template: door-forced\n`);
  dash = await startDashboard();
  app = await buildApp({ ...dash.deps, alerts: f.engine, clock: f.clock, bus: f.bus });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const s of streams.splice(0)) s.destroy();
  await app.close();
  await dash.app.close();
  await f.dispose();
});

interface Message {
  event: string;
  data: unknown;
}

/** An SSE reader over a real socket: messages parsed as they arrive, comments and retry kept raw. */
class Stream {
  readonly messages: Message[] = [];
  raw = '';
  ended = false;
  constructor(readonly res: IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.raw += chunk;
      let end: number;
      let buffer = this.raw.slice(this.parsedUpTo);
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        this.parsedUpTo += end + 2;
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) this.messages.push({ event, data: JSON.parse(data) });
      }
    });
    res.on('end', () => (this.ended = true));
    res.on('close', () => (this.ended = true));
  }
  parsedUpTo = 0;
  of(event: string): unknown[] {
    return this.messages.filter((m) => m.event === event).map((m) => m.data);
  }
  async until(check: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.raw.slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

function open(headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/api/stream`, { headers: { accept: 'text/event-stream', ...headers } });
    req.on('response', (res) => {
      streams.push(res);
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

async function connect(username: 'admin' | 'duty' | 'guard' = 'guard'): Promise<Stream> {
  const token = await loginToken(app, username);
  const res = await open({ cookie: `${SESSION_COOKIE}=${token}` });
  expect(res.statusCode).toBe(200);
  const stream = new Stream(res);
  await stream.until(() => stream.of('hello').length === 1);
  return stream;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/stream over a real socket', () => {
  it('answers the SSE headers, retry and hello with the user at once', async () => {
    const stream = await connect('duty');
    expect(stream.res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.res.headers['cache-control']).toBe('no-cache');
    expect(stream.res.headers['x-accel-buffering']).toBe('no');
    expect(stream.raw.startsWith('retry: 3000\n\n')).toBe(true);
    expect(stream.of('hello')[0]).toEqual({
      serverTime: f.clock.now(),
      user: { username: 'duty', role: 'operator' },
    });
  });

  it('refuses a request without a login with 401 and accepts a bearer token', async () => {
    const res = await open({});
    expect(res.statusCode).toBe(401);
    const body = await new Promise<string>((r) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += String(c)));
      res.on('end', () => r(text));
    });
    expect(JSON.parse(body).error.code).toBe('CGW_UNAUTHORIZED');
    const token = await loginToken(app, 'guard');
    const ok = await open({ authorization: `Bearer ${token}` });
    expect(ok.statusCode).toBe(200);
  });

  it('batches 2,000 device updates into at most 2 messages, one merged entry per device', async () => {
    const stream = await connect();
    const started = Date.now();
    for (let i = 0; i < 2000; i++)
      f.bus.emit('update', { deviceId: `dev-${i}`, ts: 1000 + i, values: { a: i } });
    f.bus.emit('update', {
      deviceId: 'dev-7',
      ts: 5000,
      values: { b: true },
      online: false,
      reason: 'silent',
    });
    expect(Date.now() - started).toBeLessThan(100);
    await sleep(700);
    const batches = stream.of('devices') as Array<Array<Record<string, unknown>>>;
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.length).toBeLessThanOrEqual(2);
    const entries = batches.flat();
    expect(entries).toHaveLength(2000);
    expect(new Set(entries.map((e) => e.deviceId)).size).toBe(2000);
    expect(entries.find((e) => e.deviceId === 'dev-7')).toEqual({
      deviceId: 'dev-7',
      ts: 5000,
      values: { a: 7, b: true },
      online: false,
      reason: 'silent',
    });
  });

  it('sends an alert change as event: alert, shaped like GET /api/alerts, and device events', async () => {
    const stream = await connect();
    f.event('door-1', 'door.forced', { person: 'p-0011aa' });
    await f.advance(1000);
    await stream.until(() => stream.of('alert').length >= 1);
    const fired = stream.of('alert')[0] as { id: string; state: string };
    expect(fired.state).toBe('active');
    expect(alertSchema.strict().safeParse(fired).success).toBe(true);
    const event = stream.of('event')[0];
    expect(event).toMatchObject({ deviceId: 'door-1', type: 'door.forced', data: { person: 'p-0011aa' } });

    const duty = await loginToken(app, 'duty');
    const ack = await app.inject({
      method: 'POST',
      url: `/api/alerts/${fired.id}/ack`,
      headers: { authorization: `Bearer ${duty}` },
      payload: { note: 'on my way' },
    });
    expect(ack.statusCode).toBe(200);
    await stream.until(() => stream.of('alert').length >= 2);
    const listed = (
      await app.inject({ url: '/api/alerts', headers: { authorization: `Bearer ${duty}` } })
    ).json();
    expect(stream.of('alert').at(-1)).toEqual(listed[0]);
    expect(stream.of('alert').at(-1)).toMatchObject({ state: 'acknowledged', ackedBy: 'duty' });
  });

  it('removes its bus listeners when the client goes away, and adds only one per message', async () => {
    const before = { update: f.bus.listenerCount('update'), event: f.bus.listenerCount('event') };
    const a = await connect();
    const b = await connect('duty');
    expect(f.bus.listenerCount('update')).toBe(before.update + 1);
    expect(f.bus.listenerCount('event')).toBe(before.event + 1);
    a.res.destroy();
    await sleep(50);
    expect(f.bus.listenerCount('update')).toBe(before.update + 1);
    b.res.destroy();
    await a.until(() => f.bus.listenerCount('update') === before.update);
    expect(f.bus.listenerCount('event')).toBe(before.event);
  });

  it(`caps open streams per user at ${MAX_STREAMS_PER_USER} with 429`, async () => {
    const token = await loginToken(app, 'guard');
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++)
      expect((await open({ authorization: `Bearer ${token}` })).statusCode).toBe(200);
    const over = await open({ authorization: `Bearer ${token}` });
    expect(over.statusCode).toBe(429);
    expect((await open({ authorization: `Bearer ${await loginToken(app, 'duty')}` })).statusCode).toBe(200);
  });

  it('ends open streams on app.close() (close does not hang)', async () => {
    const before = f.bus.listenerCount('update');
    const stream = await connect();
    expect(f.bus.listenerCount('update')).toBe(before + 1);
    await app.close();
    await stream.until(() => stream.ended);
    // The stream's listener is gone, and so is the device list cache's (it stops on close too).
    expect(f.bus.listenerCount('update')).toBeLessThan(before);
  });

  it('refuses a stream for a session that ended', async () => {
    const token = await loginToken(app, 'guard');
    await app.inject({ method: 'POST', url: '/api/logout', headers: { authorization: `Bearer ${token}` } });
    expect((await open({ authorization: `Bearer ${token}` })).statusCode).toBe(401);
  });
});
