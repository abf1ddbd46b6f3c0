import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchIngest, type IngestResult } from './ingest.ts';
import { fmt } from './harness.ts';

/**
 * `npm run bench`: runs each benchmark, prints a table, writes bench/results/<date>.json.
 * BENCH_SECONDS (default 15) sets the load duration.
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
process.stdout.write(`community-gateway benchmarks — ${machine}\n`);

const results: IngestResult[] = [];
for (const qos of [0, 1] as const) {
  process.stdout.write(`ingest, QoS ${qos}: 1,000 devices, 10 connections, ${seconds} s …\n`);
  results.push(await benchIngest({ devices: 1000, connections: 10, durationMs: seconds * 1000, qos }));
}

const rows = [
  ['benchmark', 'bare aedes msg/s', 'gateway accepted msg/s', 'points landed/s', 'loss', 'ratio vs aedes'],
  ...results.map((r) => [
    `ingest QoS ${r.qos}`,
    fmt(r.baseline.perSecond),
    fmt(r.gateway.acceptedPerSecond),
    fmt(r.gateway.landedPerSecond),
    fmt(r.gateway.loss),
    fmt(r.ratio, 2),
  ]),
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
const line = (row: string[]) => '| ' + row.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
const table = [
  line(rows[0]!),
  '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |',
  ...rows.slice(1).map(line),
].join('\n');
process.stdout.write(`\n${table}\n`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  new URL(`./results/${date}.json`, import.meta.url),
  JSON.stringify({ date, machine, seconds, ingest: results }, null, 2) + '\n',
);
process.stdout.write(`\nwritten to bench/results/${date}.json\n`);
