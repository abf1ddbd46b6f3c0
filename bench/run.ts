import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { benchAlertRounds } from './alerts.ts';
import { benchApi } from './api.ts';
import { fmt } from './harness.ts';
import { benchIngest } from './ingest.ts';
import { benchMemory } from './memory.ts';
import { benchModbus } from './modbus.ts';

/**
 * `npm run bench`: runs each benchmark, prints a table per benchmark (every speed also as a ratio
 * against a baseline measured in the same run) and writes bench/results/<date>.json.
 *
 * BENCH_ONLY=ingest,alerts,memory,modbus,api,dashboard runs a subset; BENCH_SECONDS (default 15)
 * sets the load durations; BENCH_MEMORY_SECONDS (default 60) the memory bench's; BENCH_ALERT_ROUNDS
 * (default 3) how many times the alert bench runs baseline and gateway in turn.
 */
const ALL = ['ingest', 'alerts', 'memory', 'modbus', 'api', 'dashboard'] as const;
type Name = (typeof ALL)[number];
const only = process.env.BENCH_ONLY?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only?.filter((n) => !(ALL as readonly string[]).includes(n)) ?? [];
if (unknown.length) {
  process.stderr.write(`BENCH_ONLY: unknown ${unknown.join(', ')} (known: ${ALL.join(', ')})\n`);
  process.exit(2);
}
const selected = new Set<Name>((only as Name[] | undefined) ?? ALL);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const memorySeconds = Number(process.env.BENCH_MEMORY_SECONDS ?? 60);

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
process.stdout.write(`community-gateway benchmarks — ${machine}; load average ${loadBefore}\n`);

const log = (line: string) => process.stdout.write(`${line}\n`);
const tables: Record<string, string> = {};
let current: Name = 'ingest';
function table(title: string, rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => '| ' + row.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  const text = [
    `**${title}**`,
    '',
    line(rows[0]!),
    '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |',
    ...rows.slice(1).map(line),
  ].join('\n');
  tables[current] = tables[current] ? `${tables[current]}\n\n${text}` : text;
  log(`\n${text}\n`);
}
const ms = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? '–' : fmt(x, digits);
const ratio = (x: number) => `${fmt(x, 2)}×`;

const results: Record<string, unknown> = {};
const failures: Record<string, string> = {};
async function step(name: Name, run: () => Promise<void>): Promise<void> {
  if (!selected.has(name)) return;
  current = name;
  try {
    await run();
  } catch (err) {
    failures[name] = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${name}: FAILED — ${err instanceof Error ? err.message : String(err)}`);
  }
}

await step('ingest', async () => {
  const ingest = [];
  for (const qos of [0, 1] as const) {
    log(`ingest, QoS ${qos}: 1,000 devices, 10 connections, ${seconds} s (bare aedes, then the gateway) …`);
    ingest.push(await benchIngest({ devices: 1000, connections: 10, durationMs: seconds * 1000, qos }));
  }
  results.ingest = ingest;
  table(`Ingest: 1,000 devices over 10 MQTT connections, flat out, ${seconds} s, into InfluxDB`, [
    ['QoS', 'bare aedes msg/s', 'gateway accepted msg/s', 'points landed/s', 'loss', 'accepted vs aedes'],
    ...ingest.map((r) => [
      String(r.qos),
      fmt(r.baseline.perSecond),
      fmt(r.gateway.acceptedPerSecond),
      fmt(r.gateway.landedPerSecond),
      fmt(r.gateway.loss),
      ratio(r.ratio),
    ]),
  ]);
});

await step('alerts', async () => {
  const rate = 5000;
  const rounds = Number(process.env.BENCH_ALERT_ROUNDS ?? 3);
  log(
    `alerts: ${rounds} rounds of bare aedes pass-through, bare aedes relay, gateway with InfluxDB, gateway with the embedded store, at ${fmt(rate)} msg/s, ${seconds} s each …`,
  );
  const r = await benchAlertRounds({
    ratePerSecond: rate,
    durationMs: seconds * 1000,
    rounds,
    embedded: true,
    relay: true,
    progress: (m) => log(`alerts: ${m} …`),
  });
  const { baseline, relay, gateway, embedded } = r;
  const vsAedes = (x: number | null | undefined, b = baseline.p99Ms) =>
    x !== null && x !== undefined && b ? x / b : null;
  const p99Ratio = vsAedes(gateway.p99Ms);
  results.alerts = {
    ...r,
    p99Ratio,
    embeddedP99Ratio: vsAedes(embedded!.p99Ms),
    relayP99Ratio: vsAedes(relay!.p99Ms),
    perRoundRatios: r.perRound.map((p) => vsAedes(p.gatewayMs, p.baselineMs)),
  };
  const perRound = (pick: (p: (typeof r.perRound)[number]) => number | null | undefined) =>
    r.perRound
      .map((p) => vsAedes(pick(p), p.baselineMs))
      .map((x) => (x === null ? '–' : ratio(x)))
      .join(' / ');
  const row = (g: typeof gateway, path: string, eachRound: string) => {
    const x = vsAedes(g.p99Ms);
    return [
      `${path} (${g.missed} missed)`,
      fmt(g.achievedPerSecond),
      fmt(g.samples),
      ms(g.p50Ms),
      ms(g.p95Ms),
      ms(g.p99Ms),
      ms(g.maxMs),
      x === null ? '–' : ratio(x),
      eachRound,
    ];
  };
  table(`Alert latency at ${fmt(rate)} msg/s, ${rounds} rounds of ${seconds} s, samples pooled`, [
    ['path', 'msg/s', 'samples', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'p99 vs aedes', 'each round'],
    [
      'bare aedes: publish → subscriber',
      fmt(baseline.achievedPerSecond),
      fmt(baseline.received),
      ms(baseline.p50Ms),
      ms(baseline.p95Ms),
      ms(baseline.p99Ms),
      ms(baseline.maxMs),
      '1.00×',
      r.perRound.map((p) => ms(p.baselineMs) + ' ms').join(' / '),
    ],
    row(
      relay!,
      'bare aedes relay: breach → alert, two hops, no other work',
      perRound((p) => p.relayMs),
    ),
    row(
      gateway,
      `gateway, InfluxDB: publish → alert on MQTT (${gateway.templates} templates)`,
      perRound((p) => p.gatewayMs),
    ),
    row(
      embedded!,
      `gateway, embedded store: publish → alert on MQTT (${embedded!.templates} templates)`,
      perRound((p) => p.embeddedMs),
    ),
  ]);
});

await step('memory', async () => {
  log(`memory: 10,000 devices each reporting every 2 s, ${memorySeconds} s (bare aedes, then the gateway) …`);
  const m = await benchMemory({ devices: 10_000, seconds: memorySeconds });
  results.memory = m;
  table(
    `Memory: ${fmt(m.devices)} devices reporting every 2 s (${fmt(m.ratePerSecond)} msg/s), after ${m.seconds} s`,
    [
      [
        'bare aedes RSS MB',
        'gateway idle RSS MB',
        'gateway loaded RSS MB',
        'gateway heap MB',
        'RSS vs aedes',
      ],
      [fmt(m.baselineRssMb), fmt(m.idleRssMb), fmt(m.loadedRssMb), fmt(m.loadedHeapMb), ratio(m.ratio)],
    ],
  );
});

await step('modbus', async () => {
  log(`modbus: 200 pumps × 16 registers at 1 Hz, 20 TCP gateways, ${seconds} s …`);
  const m = await benchModbus({ pumps: 200, durationMs: seconds * 1000 });
  results.modbus = m;
  table(
    `Modbus: ${m.pumps} pumps × ${m.registersPerPump} points at 1 Hz over ${m.connections} connections, ${m.seconds} s`,
    [
      [
        'readings/s',
        'expected/s',
        'vs expected',
        'incomplete',
        'gateway CPU % of a core',
        'jitter p50 ms',
        'jitter p99 ms',
        'loop delay p99 ms',
      ],
      [
        fmt(m.readingsPerSecond),
        fmt(m.expectedPerSecond),
        ratio(m.readingsPerSecond / m.expectedPerSecond),
        fmt(m.incomplete),
        fmt(m.cpuPercent, 1),
        ms(m.jitterMs.p50),
        ms(m.jitterMs.p99),
        ms(m.loopDelayMs.p99),
      ],
    ],
  );
});

await step('api', async () => {
  log(
    `api: GET /api/devices with 10,000 devices (and a bare fastify route), SSE to 20 clients, ${seconds} s …`,
  );
  const a = await benchApi({ seconds });
  results.api = a;
  const kb = fmt(a.responseBytes / 1024);
  table(
    `Dashboard API: GET /api/devices, ${fmt(a.devices)} devices (${kb} KiB), vs a bare fastify route sending the same JSON`,
    [
      [
        'requests',
        'gateway req/s',
        'p50 ms',
        'p99 ms',
        'bare fastify req/s',
        'p50 ms',
        'p99 ms',
        'vs fastify',
      ],
      ...(['sequential', 'concurrent'] as const).map((k) => [
        k === 'sequential'
          ? `${a.gateway[k].requests} sequential`
          : `${a.gateway[k].requests}, 20 concurrent`,
        fmt(a.gateway[k].perSecond, 1),
        ms(a.gateway[k].p50Ms),
        ms(a.gateway[k].p99Ms),
        fmt(a.baseline[k].perSecond, 1),
        ms(a.baseline[k].p50Ms),
        ms(a.baseline[k].p99Ms),
        ratio(a.ratio[k]),
      ]),
    ],
  );
  const s = a.sse;
  table(
    `Dashboard API: /api/stream to ${s.clients} clients, ${fmt(s.devices)} devices at 1 Hz over MQTT, ${s.seconds} s`,
    [
      [
        'offered updates/s',
        'per client /s (mean, min)',
        'vs offered',
        'delay p50 ms',
        'p99 ms',
        'max ms',
        'gateway CPU %',
        'without clients %',
      ],
      [
        fmt(s.offeredPerSecond),
        `${fmt(s.perClientPerSecond.mean)}, ${fmt(s.perClientPerSecond.min)}`,
        ratio(s.ratio),
        fmt(s.delayMs.p50),
        fmt(s.delayMs.p99),
        fmt(s.delayMs.max),
        fmt(s.cpuPercent, 1),
        fmt(s.cpuPercentNoClients, 1),
      ],
    ],
  );
});

await step('dashboard', async () => {
  const chromium = '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    log(`dashboard page: skipped, ${chromium} is missing`);
    results.dashboard = { skipped: `${chromium} is missing` };
    return;
  }
  log(`dashboard page: 2,000 devices at 1 Hz, headless chromium, ${Math.min(seconds, 10)} s …`);
  const { benchDashboard } = await import('./dashboard.ts');
  const d = await benchDashboard({ devices: 2000, seconds: Math.min(seconds, 10) });
  results.dashboard = d;
  table(`Dashboard page: ${fmt(d.devices)} devices at 1 Hz, headless chromium`, [
    [
      'first render ms',
      'offered updates/s',
      'absorbed/s',
      'vs offered',
      'max frame gap ms',
      'long tasks',
      'connection',
    ],
    [
      fmt(d.firstRenderMs),
      fmt(d.offeredPerSecond),
      fmt(d.absorbedPerSecond),
      ratio(d.offeredPerSecond ? d.absorbedPerSecond / d.offeredPerSecond : 0),
      fmt(d.maxFrameGapMs),
      fmt(d.longTasks),
      d.connection,
    ],
  ]);
});

const loadAfter = load();
log(`load average before ${loadBefore}, after ${loadAfter}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const date = new Date().toISOString().slice(0, 10);
const file = new URL(`./results/${date}.json`, import.meta.url);
// A BENCH_ONLY run updates its benchmarks in the day's file and keeps the others'.
const earlier = (only && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<
  string,
  unknown
> & { tables?: Record<string, string> };
writeFileSync(
  file,
  JSON.stringify(
    {
      ...earlier,
      date,
      machine,
      loadAverage: { before: loadBefore, after: loadAfter },
      seconds,
      memorySeconds,
      only: only ? [...new Set([...((earlier.only as string[] | undefined) ?? []), ...selected])] : [...ALL],
      ...results,
      failures: Object.keys(failures).length ? failures : undefined,
      tables: {
        ...(typeof earlier.tables === 'object' && !Array.isArray(earlier.tables) ? earlier.tables : {}),
        ...tables,
      },
    },
    null,
    2,
  ) + '\n',
);
log(`written to bench/results/${date}.json`);
if (Object.keys(failures).length) process.exitCode = 1;
