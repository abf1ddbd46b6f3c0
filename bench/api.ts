import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../rules/kpi.ts';
import { benchDevices } from './fixtures.ts';
import { loadInChild, spawnLineChild, waitUntil, type LineChild } from './harness.ts';

export interface ApiBenchOptions {
  /** Registered devices for `GET /api/devices` (default 10,000). */
  devices?: number;
  /** Sequential requests, then concurrent ones (default 200 and 20 × 10). */
  sequential?: number;
  concurrency?: number;
  /** SSE clients and the devices publishing at 1 Hz meanwhile (default 20 and 2,000). */
  sseClients?: number;
  sseDevices?: number;
  /** How long the SSE fan-out is measured (default 15 s). */
  seconds?: number;
}

export interface HttpTiming {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ApiBenchResult {
  devices: number;
  responseBytes: number;
  gateway: { sequential: HttpTiming; concurrent: HttpTiming };
  baseline: { sequential: HttpTiming; concurrent: HttpTiming };
  /** gateway requests/s ÷ bare fastify requests/s (same JSON, pre-serialised). */
  ratio: { sequential: number; concurrent: number };
  sse: {
    clients: number;
    devices: number;
    seconds: number;
    /** Device updates published into the gateway per second (offered). */
    offeredPerSecond: number;
    /** Device updates each client received per second: mean and the slowest client. */
    perClientPerSecond: { mean: number; min: number };
    /** mean per-client ÷ offered. */
    ratio: number;
    /** MQTT publish (the payload's ts) → the update parsed by the client, ms. */
    delayMs: { p50: number; p99: number; max: number };
    /** Gateway process CPU (user + system) while fanning out, % of one core. */
    cpuPercent: number;
    /** The same load with no stream open, % of one core. */
    cpuPercentNoClients: number;
  };
}

function server(args: string[]): LineChild {
  // BENCH_CPU_PROF=<dir>: a .cpuprofile of each server process, written when it exits.
  const prof = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  return spawnLineChild(new URL('./api-child.ts', import.meta.url), args, prof);
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function call(
  url: string,
  options: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      url,
      {
        agent,
        method: options.method ?? 'GET',
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function timeRequests(url: string, token: string | undefined, n: number, concurrency: number) {
  const latencies: number[] = [];
  let i = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i++ < n) {
        const s = performance.now();
        const r = await call(url, { token });
        if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.body.slice(0, 200)}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    requests: latencies.length,
    perSecond: (latencies.length / elapsed) * 1000,
    p50Ms: r1(percentile(latencies, 50) ?? 0),
    p99Ms: r1(percentile(latencies, 99) ?? 0),
  };
}

async function timeBoth(url: string, token: string | undefined, o: Required<ApiBenchOptions>) {
  await timeRequests(url, token, 20, 1); // warm-up
  const sequential = await timeRequests(url, token, o.sequential, 1);
  const concurrent = await timeRequests(url, token, o.concurrency * 10, o.concurrency);
  return { sequential, concurrent };
}

/** An `/api/stream` client counting device updates and their delay since publish. */
function sseClient(url: string, token: string, delays: number[]) {
  const state = { updates: 0, res: undefined as IncomingMessage | undefined };
  const req = request(`${url}/api/stream`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
    state.res = res;
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const frame = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (!frame.startsWith('event: devices\n')) continue;
        const now = Date.now();
        const updates = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as Array<{
          ts: number;
          values?: unknown;
        }>;
        for (const u of updates)
          if (u.values) {
            state.updates++;
            delays.push(now - u.ts);
          }
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => {});
  req.end();
  return state;
}

/**
 * The dashboard API: `GET /api/devices` with 10,000 devices against a bare fastify route sending
 * the same JSON pre-serialised, and `/api/stream` fanned out to 20 clients while 2,000 devices
 * publish at 1 Hz over MQTT. The gateway runs in a process of its own (bench/api-child.ts).
 */
export async function benchApi(options: ApiBenchOptions = {}): Promise<ApiBenchResult> {
  const o: Required<ApiBenchOptions> = {
    devices: 10_000,
    sequential: 200,
    concurrency: 20,
    sseClients: 20,
    sseDevices: 2000,
    seconds: 15,
    ...options,
  };
  const gw = server(['gateway', String(o.devices)]);
  const dir = mkdtempSync(join(tmpdir(), 'cgw-bench-api-'));
  let base: ReturnType<typeof server> | undefined;
  try {
    const [, mqttPort, httpUrl] = (await gw.next()).split(' ') as [string, string, string];
    const ids = benchDevices;
    const mqttOptions = {
      url: `mqtt://127.0.0.1:${mqttPort}`,
      username: 'bench',
      password: 'bench',
      connections: 10,
      qos: 0 as const,
    };
    const login = await call(`${httpUrl}/api/login`, {
      method: 'POST',
      body: { username: 'admin', password: 'bench-admin' },
    });
    const { token } = JSON.parse(login.body) as { token: string };

    // Every device reports once (each connection's share ~1.1 times over), so values exist.
    await loadInChild({
      ...mqttOptions,
      devices: ids(o.devices),
      durationMs: 1100,
      ratePerSecond: o.devices,
    });
    let body = '';
    await waitUntil(
      async () =>
        !(body = (await call(`${httpUrl}/api/devices`, { token })).body).includes('"lastSeen":null'),
      20_000,
      250,
    );
    if (body.includes('"lastSeen":null')) throw new Error('not every device reported');
    const responseBytes = Buffer.byteLength(body);
    const gatewayTiming = await timeBoth(`${httpUrl}/api/devices`, token, o);

    const file = join(dir, 'devices.json');
    writeFileSync(file, body);
    base = server(['fastify', file]);
    const [, , baseUrl] = (await base.next()).split(' ') as [string, string, string];
    const baselineTiming = await timeBoth(`${baseUrl}/api/devices`, undefined, o);
    base.proc.stdin!.write('exit\n');

    // SSE: streams at most 10 per user, so a viewer per 10 clients.
    const tokens: string[] = [];
    for (let u = 0; u < Math.ceil(o.sseClients / 10); u++) {
      const username = `bench-viewer-${u}`;
      const password = 'bench-viewer-pw';
      const made = await call(`${httpUrl}/api/users`, {
        method: 'POST',
        token,
        body: { username, role: 'viewer', password },
      });
      if (made.status !== 201) throw new Error(`POST /api/users: ${made.status} ${made.body}`);
      const r = await call(`${httpUrl}/api/login`, { method: 'POST', body: { username, password } });
      tokens.push((JSON.parse(r.body) as { token: string }).token);
    }
    const cpu = async () => {
      gw.proc.stdin!.write('cpu\n');
      const c = JSON.parse(await gw.next()) as { user: number; system: number };
      return { us: c.user + c.system, at: performance.now() };
    };
    const share = (a: { us: number; at: number }, b: { us: number; at: number }) =>
      ((b.us - a.us) / 1000 / (b.at - a.at)) * 100;
    const load = { ...mqttOptions, devices: ids(o.sseDevices), ratePerSecond: o.sseDevices, tsNow: true };

    // The same load with no stream open: what the fan-out adds to the gateway's CPU.
    const quietSeconds = Math.min(o.seconds, 5);
    const q0 = await cpu();
    await loadInChild({ ...load, durationMs: quietSeconds * 1000 });
    const cpuPercentNoClients = share(q0, await cpu());

    const delays: number[] = [];
    const clients = Array.from({ length: o.sseClients }, (_, i) =>
      sseClient(httpUrl, tokens[Math.floor(i / 10)]!, delays),
    );
    await waitUntil(() => clients.every((c) => c.res), 10_000);
    // 1 s of warm-up, then count.
    const loading = loadInChild({ ...load, durationMs: (o.seconds + 1) * 1000 });
    await new Promise((r) => setTimeout(r, 1000));
    delays.length = 0;
    const before = clients.map((c) => c.updates);
    const c0 = await cpu();
    const sent = await loading;
    const c1 = await cpu();
    await new Promise((r) => setTimeout(r, 500)); // the last batch
    const measuredS = (c1.at - c0.at) / 1000;
    const perClient = clients.map((c, i) => (c.updates - before[i]!) / measuredS);
    for (const c of clients) c.res?.destroy();
    delays.sort((a, b) => a - b);
    const offeredPerSecond = (sent.sent / sent.elapsedMs) * 1000;
    const mean = perClient.reduce((s, x) => s + x, 0) / perClient.length;
    return {
      devices: o.devices,
      responseBytes,
      gateway: gatewayTiming,
      baseline: baselineTiming,
      ratio: {
        sequential: gatewayTiming.sequential.perSecond / baselineTiming.sequential.perSecond,
        concurrent: gatewayTiming.concurrent.perSecond / baselineTiming.concurrent.perSecond,
      },
      sse: {
        clients: o.sseClients,
        devices: o.sseDevices,
        seconds: o.seconds,
        offeredPerSecond,
        perClientPerSecond: { mean, min: Math.min(...perClient) },
        ratio: mean / offeredPerSecond,
        delayMs: {
          p50: percentile(delays, 50) ?? 0,
          p99: percentile(delays, 99) ?? 0,
          max: delays.at(-1) ?? 0,
        },
        cpuPercent: share(c0, c1),
        cpuPercentNoClients,
      },
    };
  } finally {
    gw.proc.stdin!.write('exit\n');
    base?.proc.kill();
    rmSync(dir, { recursive: true, force: true });
    agent.destroy();
  }
}

// `node --import tsx bench/api.ts [seconds]`: this bench alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = Number(process.argv[2] ?? process.env.BENCH_SECONDS ?? 15);
  process.stdout.write(JSON.stringify(await benchApi({ seconds }), null, 2) + '\n');
}
