import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchAlerts } from './alerts.ts';
import { benchIngest, type IngestResult } from './ingest.ts';
import { fmt } from './harness.ts';
import { benchModbus } from './modbus.ts';

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
process.stdout.write(`modbus: 200 pumps × 16 registers at 1 Hz, 20 TCP gateways, ${seconds} s …\n`);
const modbus = await benchModbus({ pumps: 200, durationMs: seconds * 1000 });
process.stdout.write(`alerts: 5,000 telemetry msg/s, every shipped template, ${seconds} s …\n`);
const alerts = await benchAlerts({ ratePerSecond: 5000, durationMs: seconds * 1000 });

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
process.stdout.write(
  `\nmodbus poll, ${modbus.pumps} pumps × ${modbus.registersPerPump} registers at 1 Hz: ${fmt(modbus.readingsPerSecond)} readings/s, ` +
    `gateway CPU ${fmt(modbus.cpuPercent, 1)} % of a core, jitter p50 ${fmt(modbus.jitterMs.p50)} ms, p99 ${fmt(modbus.jitterMs.p99)} ms\n`,
);

process.stdout.write(
  `\nalert latency, MQTT publish → alert on its MQTT topic, ${fmt(alerts.achievedPerSecond)} msg/s, ${alerts.templates} templates: ` +
    `p50 ${alerts.p50Ms} ms, p99 ${alerts.p99Ms} ms (${alerts.samples} alerts, ${alerts.missed} missed)\n`,
);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  new URL(`./results/${date}.json`, import.meta.url),
  JSON.stringify({ date, machine, seconds, ingest: results, modbus, alerts }, null, 2) + '\n',
);
process.stdout.write(`\nwritten to bench/results/${date}.json\n`);
