import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { parseConfigObject } from '../gateway/config/load.ts';
import type { Config } from '../gateway/config/schema.ts';
import { traceCommit, tracePublish, traceReceived } from '../gateway/trace.ts';
import { percentile } from '../rules/kpi.ts';
import { TEMPLATES } from '../rules/templates/index.ts';
import { startTestGateway } from '../test/helpers/gateway.ts';
import { startInfluxd } from '../test/helpers/influxd.ts';
import type { PassThroughOptions, PassThroughResult } from './aedes-latency-child.ts';
import type { AlertLoadOptions, AlertLoadResult } from './alerts-child.ts';
import { runInChild } from './harness.ts';

export interface AlertBenchOptions {
  /** Telemetry messages per second over all connections (5,000 in the issue). */
  ratePerSecond: number;
  durationMs: number;
  /** Background devices, spread over doors, lifts and pumps. */
  devices?: number;
  connections?: number;
  probeEveryMs?: number;
  /** Write series to a real influxd (default) or the embedded store. */
  influx?: boolean;
  /** Time each stage of the probe's path from the gateway's trace channels (gateway/trace.ts). */
  trace?: boolean;
}

export interface AlertBenchResult {
  ratePerSecond: number;
  achievedPerSecond: number;
  devices: number;
  templates: number;
  store: 'influxdb' | 'embedded' | 'none';
  samples: number;
  missed: number;
  /** The longest wait for an alert and the load process's longest stall (alerts-child.ts). */
  longestWaitMs: number;
  longestTickGapMs: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** With `trace`: each stage of the probe's path, in order. */
  stages?: StageSummary[];
  /** With `trace` and InfluxDB: the breaches that met a write to InfluxDB on their way, and the rest. */
  influxWrites?: Overlap;
  /** With `trace`: the breaches that met a garbage collection pause of this process, and the rest. */
  gcPauses?: Overlap;
}

/** The breaches whose way met one of a kind of span (a write, a pause), against the others. */
export interface Overlap {
  /** Spans during the run, and how long they took on average. */
  spans: number;
  meanSpanMs: number | null;
  during: GroupSummary;
  outside: GroupSummary;
}

export interface GroupSummary {
  samples: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface StageSummary {
  stage: string;
  samples: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

const SITE = 'bench';
/** The pumps whose pressure the probe drops and restores. */
const PROBES = Array.from({ length: 20 }, (_, i) => `probe-${i}`);
const KINDS = ['access', 'elevator', 'pump'] as const;

function benchConfig(devices: number, probes: string[], influxUrl: string | undefined): Config {
  const result = parseConfigObject({
    site: SITE,
    mqtt: {
      port: 0,
      users: [
        {
          username: 'bench',
          password: 'bench',
          publish: [`cg/${SITE}/#`],
          subscribe: [`cg/${SITE}/alerts/#`],
        },
      ],
    },
    http: { port: 0 },
    ...(influxUrl ? { influx: { url: influxUrl, database: 'bench_alerts' } } : {}),
    devices: [
      ...Array.from({ length: devices }, (_, i) => ({
        id: `dev-${i}`,
        kind: KINDS[i % KINDS.length],
        protocol: 'mqtt',
        password: 'x',
        labels: { building: `b${i % 4}` },
      })),
      ...probes.map((id) => ({ id, kind: 'pump', protocol: 'mqtt', password: 'x' })),
    ],
    rules: [
      ...TEMPLATES.map((t) => ({ template: t.name })),
      // The probe: no `for`, no flap window, so every breach opens a new alert at once.
      {
        template: 'pump-low-pressure',
        id: 'probe-low-pressure',
        match: { devices: probes },
        params: { for: '0s' },
        flapWindow: '0s',
      },
    ],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

/** p50/p95/p99/max of latencies in ms, to a tenth of a millisecond (null without samples). */
function latencySummary(
  latenciesMs: readonly number[],
): Pick<AlertBenchResult, 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs'> {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  return {
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? null),
  };
}

/** Per probe device, the trace events seen in the gateway: kind and wall-clock ms. */
type TraceLog = Map<
  string,
  Array<[kind: 'received' | 'start' | 'end' | 'published' | 'written', at: number]>
>;

/** What the trace saw: per probe, the gateway's events; every InfluxDB write and GC pause as [start, end]. */
interface Trace {
  log: TraceLog;
  writes: Array<[number, number]>;
  gcs: Array<[number, number]>;
  stop: () => void;
}

function listen(probes: readonly string[]): Trace {
  const log: TraceLog = new Map(probes.map((id) => [id, []]));
  const now = () => performance.timeOrigin + performance.now();
  // Node's own http client channels: when the store's POST /write starts and its answer ends.
  const writes: Array<[number, number]> = [];
  const open = new WeakMap<ClientRequest, number>();
  const onRequest = (m: unknown) => {
    const { request } = m as { request: ClientRequest };
    if (request.path.startsWith('/write')) open.set(request, now());
  };
  const onAnswered = (m: unknown) => {
    const started = open.get((m as { request: ClientRequest }).request);
    if (started !== undefined) writes.push([started, now()]);
  };
  diagnostics.subscribe('http.client.request.start', onRequest);
  diagnostics.subscribe('http.client.response.finish', onAnswered);
  // Every pause of this process's collector (scavenges and the final pauses of mark-compacts).
  const gcs: Array<[number, number]> = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const start = performance.timeOrigin + e.startTime;
      gcs.push([start, start + e.duration]);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const deviceOf = (topic: string) => topic.split('/')[3] ?? '';
  const onReceived = (m: unknown) =>
    log.get(deviceOf((m as { topic: string }).topic))?.push(['received', now()]);
  const onCommit = (m: unknown) => {
    const { device, phase } = m as { device: string; phase: 'start' | 'end' };
    log.get(device)?.push([phase, now()]);
  };
  const onPublish = (m: unknown) =>
    log.get(deviceOf((m as { topic: string }).topic))?.push(['published', now()]);
  traceReceived.subscribe(onReceived);
  traceCommit.subscribe(onCommit);
  tracePublish.subscribe(onPublish);
  // When the broker hands the alert to the watcher's socket: no channel tells, so socket writes
  // are watched while tracing (alert packets are small; telemetry is never written back here).
  const socketWrite = Socket.prototype.write;
  // mqtt-packet writes a publish in parts, the topic a string of its own.
  const prefix = `cg/${SITE}/alerts/`;
  Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && chunk.startsWith(prefix))
      log.get(deviceOf(chunk))?.push(['written', now()]);
    return (socketWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof socketWrite;
  return {
    log,
    writes,
    gcs,
    stop: () => {
      Socket.prototype.write = socketWrite;
      gcObserver.disconnect();
      diagnostics.unsubscribe('http.client.request.start', onRequest);
      diagnostics.unsubscribe('http.client.response.finish', onAnswered);
      traceReceived.unsubscribe(onReceived);
      traceCommit.unsubscribe(onCommit);
      tracePublish.unsubscribe(onPublish);
    },
  };
}

const STAGES = [
  'publish → broker hook',
  'hook → transaction',
  'transaction',
  'transaction → alert published',
  'alert published → written',
  'written → received',
] as const;

/** Each probe's breach, split at the trace events that fall between its publish and its receipt. */
function stageSummary(timings: AlertLoadResult['timings'], log: TraceLog): StageSummary[] {
  const spans: number[][] = STAGES.map(() => []);
  for (const [device, sent, received] of timings) {
    const events = log.get(device) ?? [];
    const after = (kind: string, from: number) =>
      events.find(([k, at]) => k === kind && at >= from && at <= received)?.[1];
    // The two processes read one wall clock; allow a little skew before the publish.
    const hook = after('received', sent - 0.5);
    const start = hook === undefined ? undefined : after('start', hook);
    const end = start === undefined ? undefined : after('end', start);
    const published = end === undefined ? undefined : after('published', end);
    const written = published === undefined ? undefined : after('written', published);
    if (written === undefined) continue;
    const points = [sent, hook!, start!, end!, published!, written, received];
    for (let i = 0; i < STAGES.length; i++) spans[i]!.push(points[i + 1]! - points[i]!);
  }
  // Stages are fractions of a millisecond: to a hundredth.
  const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  return STAGES.map((stage, i) => {
    const sorted = [...spans[i]!].sort((a, b) => a - b);
    const [p50Ms, p90Ms, p99Ms] = [50, 90, 99].map((p) => round(percentile(sorted, p)));
    return { stage, samples: sorted.length, p50Ms: p50Ms!, p90Ms: p90Ms!, p99Ms: p99Ms! };
  });
}

/**
 * The breaches that met a span on their way (it began before the alert arrived and ended after
 * the breach was published), against the others. For InfluxDB writes: influxd parses the batch on
 * the same two cores. For GC pauses: the gateway's thread stood still.
 */
export function overlapOf(
  timings: AlertLoadResult['timings'],
  spans: ReadonlyArray<readonly [number, number]>,
): Overlap {
  const during: number[] = [];
  const outside: number[] = [];
  for (const [, sent, received] of timings) {
    const met = spans.some(([start, end]) => start < received && end > sent);
    (met ? during : outside).push(received - sent);
  }
  const group = (xs: number[]): GroupSummary => {
    const { p50Ms, p99Ms } = latencySummary(xs);
    return { samples: xs.length, p50Ms, p99Ms };
  };
  const total = spans.reduce((sum, [start, end]) => sum + end - start, 0);
  return {
    spans: spans.length,
    meanSpanMs: spans.length ? Math.round((total / spans.length) * 10) / 10 : null,
    during: group(during),
    outside: group(outside),
  };
}

function loadInChild(options: AlertLoadOptions): Promise<AlertLoadResult> {
  return runInChild(new URL('./alerts-child.ts', import.meta.url), options);
}

/**
 * Alert latency under load: telemetry at a fixed rate from a separate process into the gateway
 * with every shipped template active, while a probe drops a pump's pressure every few hundred
 * milliseconds and times the publish until the alert arrives on `cg/{site}/alerts/{device}`.
 */
export async function benchAlerts(options: AlertBenchOptions): Promise<AlertBenchResult> {
  return (await runAlerts(options)).result;
}

async function runAlerts(
  options: AlertBenchOptions,
): Promise<{ result: AlertBenchResult; latenciesMs: number[] }> {
  const devices = options.devices ?? 1000;
  const probes = PROBES;
  const influxd = options.influx === false ? undefined : await startInfluxd();
  try {
    const gateway = await startTestGateway(benchConfig(devices, probes, influxd?.url));
    const trace = options.trace ? listen(probes) : undefined;
    try {
      const load = await loadInChild({
        url: `mqtt://127.0.0.1:${gateway.mqttPort}`,
        username: 'bench',
        password: 'bench',
        site: SITE,
        devices: gateway.config.devices
          .filter((d) => d.id.startsWith('dev-'))
          .map((d) => ({ id: d.id, kind: d.kind as (typeof KINDS)[number] })),
        probes,
        connections: options.connections ?? 10,
        ratePerSecond: options.ratePerSecond,
        durationMs: options.durationMs,
        // One breach per 100 messages (issue 8): every 20 ms at 5,000 msg/s.
        probeEveryMs: options.probeEveryMs ?? Math.round(100_000 / options.ratePerSecond),
      });
      const result: AlertBenchResult = {
        ratePerSecond: options.ratePerSecond,
        achievedPerSecond: (load.sent / load.elapsedMs) * 1000,
        devices,
        templates: TEMPLATES.length,
        store: influxd ? 'influxdb' : 'embedded',
        samples: load.latenciesMs.length,
        missed: load.missed,
        longestWaitMs: Math.round(load.longestWaitMs),
        longestTickGapMs: Math.round(load.longestTickGapMs),
        ...latencySummary(load.latenciesMs),
        ...(trace ? { stages: stageSummary(load.timings, trace.log) } : {}),
        ...(trace && influxd ? { influxWrites: overlapOf(load.timings, trace.writes) } : {}),
        ...(trace ? { gcPauses: overlapOf(load.timings, trace.gcs) } : {}),
      };
      // The raw trace, for a closer look than the summaries give.
      const dump = process.env.BENCH_TRACE_DUMP;
      if (trace && dump) {
        const { log, writes, gcs } = trace;
        // The monotonic clock's offset from the wall clock, to line the trace up with a CPU profile.
        const monoOffsetMs =
          performance.timeOrigin + performance.now() - Number(process.hrtime.bigint()) / 1e6;
        writeFileSync(
          dump,
          JSON.stringify({ timings: load.timings, log: [...log], writes, gcs, monoOffsetMs }),
        );
      }
      return { result, latenciesMs: load.latenciesMs };
    } finally {
      trace?.stop();
      await gateway.stop();
    }
  } finally {
    await influxd?.dispose();
  }
}

export interface PassThroughBenchResult {
  ratePerSecond: number;
  achievedPerSecond: number;
  sent: number;
  received: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * The alert-latency baseline: a bare aedes broker in this process, the same publishers as the
 * alert bench's load (10 connections) and one subscriber, in another process, at the same rate;
 * every message timed from publish to receipt.
 */
interface PassThroughBenchOptions {
  ratePerSecond: number;
  durationMs: number;
  connections?: number;
}

/** A bare aedes broker on a free loopback port for `use(url)`, closed after it. */
async function withBareBroker<T>(
  use: (url: string, broker: Aedes) => Promise<T>,
  setup: (broker: Aedes) => void = () => {},
): Promise<T> {
  const broker = await Aedes.createBroker();
  setup(broker);
  const server = createServer({ noDelay: true }, broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    return await use(`mqtt://127.0.0.1:${port}`, broker);
  } finally {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
}

async function runAedesLatency(
  options: PassThroughBenchOptions,
): Promise<{ result: PassThroughBenchResult; latenciesMs: number[] }> {
  return withBareBroker(async (url) => {
    const load = await runInChild<PassThroughOptions, PassThroughResult>(
      new URL('./aedes-latency-child.ts', import.meta.url),
      { url, connections: options.connections ?? 10, ...options },
    );
    const result: PassThroughBenchResult = {
      ratePerSecond: options.ratePerSecond,
      achievedPerSecond: (load.sent / load.elapsedMs) * 1000,
      sent: load.sent,
      received: load.received,
      ...latencySummary(load.latenciesMs),
    };
    return { result, latenciesMs: load.latenciesMs };
  });
}

/**
 * The floor under any gateway on this broker: a bare aedes broker in this process whose publish
 * hook relays each probe breach straight back as an alert (JSON.parse, one threshold, a QoS 1
 * publish to `cg/{site}/alerts/{device}`, the way the gateway publishes), with the alert bench's
 * load and probe. It takes the same two broker hops as the gateway's alert and does nothing else,
 * so it shows what the hops cost by themselves against the one-hop pass-through.
 */
async function runAedesRelay(
  options: PassThroughBenchOptions,
): Promise<{ result: AlertBenchResult; latenciesMs: number[] }> {
  const probeTopic = `cg/${SITE}/pump/probe-`;
  const relayBreaches = (broker: Aedes): void => {
    broker.authorizePublish = (_client, packet, done) => {
      done(null);
      if (!packet.topic.startsWith(probeTopic)) return;
      const device = packet.topic.split('/')[3]!;
      const values = (JSON.parse(packet.payload.toString()) as { values: Record<string, number> }).values;
      const low = (values.outlet_pressure_bar ?? Infinity) < 2;
      const body = { device, rule: 'probe-low-pressure', event: low ? 'fired' : 'resolved' };
      broker.publish(
        {
          cmd: 'publish',
          topic: `cg/${SITE}/alerts/${device}`,
          payload: Buffer.from(JSON.stringify(body)),
          qos: 1,
          retain: false,
          dup: false,
        },
        () => {},
      );
    };
  };
  const devices = 1000;
  return withBareBroker(async (url) => {
    const load = await loadInChild({
      url,
      username: 'bench',
      password: 'bench',
      site: SITE,
      devices: Array.from({ length: devices }, (_, i) => ({
        id: `dev-${i}`,
        kind: KINDS[i % KINDS.length]!,
      })),
      probes: PROBES,
      connections: options.connections ?? 10,
      ratePerSecond: options.ratePerSecond,
      durationMs: options.durationMs,
      probeEveryMs: Math.round(100_000 / options.ratePerSecond),
    });
    const result: AlertBenchResult = {
      ratePerSecond: options.ratePerSecond,
      achievedPerSecond: (load.sent / load.elapsedMs) * 1000,
      devices,
      templates: 0,
      store: 'none',
      samples: load.latenciesMs.length,
      missed: load.missed,
      longestWaitMs: Math.round(load.longestWaitMs),
      longestTickGapMs: Math.round(load.longestTickGapMs),
      ...latencySummary(load.latenciesMs),
    };
    return { result, latenciesMs: load.latenciesMs };
  }, relayBreaches);
}

export interface AlertRoundsOptions {
  ratePerSecond: number;
  /** Of each run: every round runs the baseline, then the gateway (and the embedded store). */
  durationMs: number;
  rounds: number;
  /** Also a run with the embedded series store in each round. */
  embedded?: boolean;
  /** Also a run of the bare aedes relay (the two-hop floor) in each round. */
  relay?: boolean;
  progress?: (message: string) => void;
}

export interface RoundP99 {
  baselineMs: number | null;
  relayMs?: number | null;
  gatewayMs: number | null;
  embeddedMs?: number | null;
}

export interface AlertRoundsResult {
  rounds: number;
  /** Every round's samples together. */
  baseline: PassThroughBenchResult;
  relay?: AlertBenchResult;
  gateway: AlertBenchResult;
  embedded?: AlertBenchResult;
  /** Each round's own p99s, in order. */
  perRound: RoundP99[];
}

/**
 * The alert bench in rounds: baseline, gateway (and embedded store) in turn, `rounds` times, so a
 * machine that gets busier or quieter meanwhile weighs on both sides alike; the figures are over
 * every round's samples together. A p99 over one 15 s run rests on its 7 slowest breaches: on a
 * 2-core VM it moved between 3.6 and 7 ms from run to run of the same code.
 */
export async function benchAlertRounds(options: AlertRoundsOptions): Promise<AlertRoundsResult> {
  const { ratePerSecond, durationMs } = options;
  const say = options.progress ?? (() => {});
  const base: Array<Awaited<ReturnType<typeof runAedesLatency>>> = [];
  const gateway: Array<Awaited<ReturnType<typeof runAlerts>>> = [];
  const embedded: typeof gateway = [];
  const relay: typeof gateway = [];
  for (let round = 1; round <= options.rounds; round++) {
    const of = `round ${round}/${options.rounds}`;
    say(`${of}: bare aedes pass-through`);
    base.push(await runAedesLatency({ ratePerSecond, durationMs }));
    if (options.relay) {
      say(`${of}: bare aedes relay`);
      relay.push(await runAedesRelay({ ratePerSecond, durationMs }));
    }
    say(`${of}: gateway with InfluxDB`);
    gateway.push(await runAlerts({ ratePerSecond, durationMs }));
    if (options.embedded) {
      say(`${of}: gateway with the embedded store`);
      embedded.push(await runAlerts({ ratePerSecond, durationMs, influx: false }));
    }
  }
  const perRound = base.map((b, i): RoundP99 => ({
    baselineMs: b.result.p99Ms,
    ...(options.relay ? { relayMs: relay[i]!.result.p99Ms } : {}),
    gatewayMs: gateway[i]!.result.p99Ms,
    ...(options.embedded ? { embeddedMs: embedded[i]!.result.p99Ms } : {}),
  }));
  return {
    rounds: options.rounds,
    baseline: pooledPassThrough(base),
    ...(options.relay ? { relay: pooledAlerts(relay) } : {}),
    gateway: pooledAlerts(gateway),
    ...(options.embedded ? { embedded: pooledAlerts(embedded) } : {}),
    perRound,
  };
}

const meanOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function pooledAlerts(runs: Array<{ result: AlertBenchResult; latenciesMs: number[] }>): AlertBenchResult {
  const first = runs[0]!.result;
  return {
    ...first,
    achievedPerSecond: meanOf(runs.map((r) => r.result.achievedPerSecond)),
    samples: runs.reduce((n, r) => n + r.result.samples, 0),
    missed: runs.reduce((n, r) => n + r.result.missed, 0),
    longestWaitMs: Math.max(...runs.map((r) => r.result.longestWaitMs)),
    longestTickGapMs: Math.max(...runs.map((r) => r.result.longestTickGapMs)),
    ...latencySummary(runs.flatMap((r) => r.latenciesMs)),
  };
}

function pooledPassThrough(
  runs: Array<{ result: PassThroughBenchResult; latenciesMs: number[] }>,
): PassThroughBenchResult {
  return {
    ratePerSecond: runs[0]!.result.ratePerSecond,
    achievedPerSecond: meanOf(runs.map((r) => r.result.achievedPerSecond)),
    sent: runs.reduce((n, r) => n + r.result.sent, 0),
    received: runs.reduce((n, r) => n + r.result.received, 0),
    ...latencySummary(runs.flatMap((r) => r.latenciesMs)),
  };
}

// `node --import tsx bench/alerts.ts [seconds] [rounds]`: this bench alone (InfluxDB only; one
// round unless asked). With BENCH_TRACE=1 one gateway run, no baseline, timing each stage of the
// probe's path and setting the breaches that met an InfluxDB write apart from the others.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const seconds = Number(process.argv[2] ?? process.env.BENCH_SECONDS ?? 15);
  const rounds = Number(process.argv[3] ?? 1);
  const durationMs = seconds * 1000;
  const out =
    process.env.BENCH_TRACE === '1'
      ? { result: await benchAlerts({ ratePerSecond: 5000, durationMs, trace: true }) }
      : await benchAlertRounds({
          ratePerSecond: 5000,
          durationMs,
          rounds,
          relay: true,
          progress: (m) => process.stderr.write(m + '\n'),
        });
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
