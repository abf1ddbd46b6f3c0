// The load and the probe of the alert-latency bench, in their own process so their clocks and
// callbacks do not share the gateway's event loop. Options and result travel as
// runInChild/serveInChild (harness.ts) carry them.
import mqtt, { type MqttClient } from 'mqtt';
import { serveInChild } from './harness.ts';
import { noDelay, telemetry } from './load.ts';

export interface AlertLoadOptions {
  url: string;
  username: string;
  password: string;
  site: string;
  /** Background devices: telemetry that never breaches a rule. */
  devices: Array<{ id: string; kind: 'access' | 'elevator' | 'pump' }>;
  /** Pumps whose pressure the probe drops and restores. */
  probes: string[];
  connections: number;
  ratePerSecond: number;
  durationMs: number;
  /** Time between probe breaches. */
  probeEveryMs: number;
}

export interface AlertLoadResult {
  sent: number;
  elapsedMs: number;
  /** publish of a breach → its alert on `cg/{site}/alerts/{device}`, ms */
  latenciesMs: number[];
  /** breaches after the warm-up whose alert never came, or not before the probe's next breach */
  missed: number;
  /** Each counted breach: probe device, publish and receipt as wall-clock ms (timeOrigin + now). */
  timings: Array<[string, number, number]>;
  /**
   * The longest a probe waited from its oldest unanswered breach to an alert, ms: over the probe
   * interval (400 ms) when an alert came so late that the next breach went before it (a breach
   * during an open alert repeats it, no new alert: that breach is counted missed).
   */
  longestWaitMs: number;
  /** The longest this process's own pacing loop stood still between two ticks, ms. */
  longestTickGapMs: number;
}

function pumpTelemetry(n: number, pressure = 3.4 + (n % 5) / 10): string {
  return JSON.stringify({
    values: {
      running: true,
      outlet_pressure_bar: pressure,
      inlet_pressure_bar: 1.1,
      flow_m3h: 12 + (n % 7),
      motor_current_a: 18 + (n % 4),
      frequency_hz: 45,
      tank_level_pct: 70 + (n % 10),
      fault_code: 0,
    },
  });
}

async function run(o: AlertLoadOptions): Promise<AlertLoadResult> {
  const connect = (id: string): Promise<MqttClient> =>
    mqtt
      .connectAsync(o.url, {
        username: o.username,
        password: o.password,
        clientId: `${id}-${process.pid}`,
        reconnectPeriod: 0,
      })
      .then(noDelay);
  const clients = await Promise.all(
    Array.from({ length: o.connections }, (_, i) => connect(`bench-load-${i}`)),
  );
  // Publisher and subscriber on separate connections, as a device and a technician's app are.
  const probe = await connect('bench-probe');
  const watcher = await connect('bench-watcher');
  const pending = new Map<string, number>();
  const oldest = new Map<string, number>();
  let longestWaitMs = 0;
  const latenciesMs: number[] = [];
  const timings: AlertLoadResult['timings'] = [];
  const wall = (t: number) => performance.timeOrigin + t;
  let t0 = Infinity;
  watcher.on('message', (_topic, payload) => {
    const m = JSON.parse(payload.toString()) as { device: string; event: string; rule: string };
    const sentAt = pending.get(m.device);
    if (m.event !== 'fired' || m.rule !== 'probe-low-pressure' || sentAt === undefined) return;
    const waitedFrom = oldest.get(m.device) ?? sentAt;
    oldest.delete(m.device);
    if (waitedFrom >= t0 + 1000) longestWaitMs = Math.max(longestWaitMs, performance.now() - waitedFrom);
    // The first second is warm-up, as in the baseline: breaches go from the start (the alert
    // path's first runs are compiled then), but only those after it are counted.
    if (sentAt >= t0 + 1000) {
      const now = performance.now();
      latenciesMs.push(now - sentAt);
      timings.push([m.device, wall(sentAt), wall(now)]);
    }
    pending.delete(m.device);
    // Back to normal: the alert clears (flap window 0), so the next breach opens a new one.
    probe.publish(`cg/${o.site}/pump/${m.device}/telemetry`, pumpTelemetry(0), { qos: 1 });
  });
  await watcher.subscribeAsync(`cg/${o.site}/alerts/#`, { qos: 1 });

  const topics = o.devices.map((d) => `cg/${o.site}/${d.kind}/${d.id}/telemetry`);
  t0 = performance.now();
  let sent = 0;
  let missed = 0;
  let nextProbe = t0 + o.probeEveryMs;
  let probeIndex = 0;
  let longestTickGapMs = 0;
  let lastTick = t0 + 1000;
  while (performance.now() - t0 < o.durationMs) {
    await new Promise((r) => setTimeout(r, 5));
    const now = performance.now();
    // After the warm-up second, as the latencies.
    if (now > lastTick) longestTickGapMs = Math.max(longestTickGapMs, now - lastTick);
    lastTick = Math.max(lastTick, now);
    // Paced: send what the rate allows up to now, catching up after a slow tick.
    const due = Math.floor(((now - t0) / 1000) * o.ratePerSecond) - sent;
    // The breach goes at a spread-out place in the tick's burst, not always last: the baseline
    // times every message of its bursts, so its figures are spread over all places too.
    const probeAt = now >= nextProbe ? (probeIndex * 7919) % (due + 1) : -1;
    for (let i = 0; i <= due; i++) {
      if (i === probeAt) {
        nextProbe += o.probeEveryMs;
        const id = o.probes[probeIndex++ % o.probes.length]!;
        // Counted as the latencies are: a breach of the warm-up second, when the path first runs
        // (compiled then), may well be overtaken by the next one.
        if ((pending.get(id) ?? -Infinity) >= t0 + 1000) missed++;
        pending.set(id, performance.now());
        if (!oldest.has(id)) oldest.set(id, performance.now());
        probe.publish(`cg/${o.site}/pump/${id}/telemetry`, pumpTelemetry(0, 1.0), { qos: 1 });
      }
      if (i === due) break;
      const k = sent++;
      const d = o.devices[k % o.devices.length]!;
      const payload = d.kind === 'pump' ? pumpTelemetry(k) : telemetry(d.kind, Date.now(), k);
      clients[k % clients.length]!.publish(topics[k % topics.length]!, payload, { qos: 0 });
    }
  }
  const elapsedMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2000));
  missed += pending.size;
  await Promise.all([...clients, probe, watcher].map((c) => c.endAsync()));
  return { sent, elapsedMs, latenciesMs, missed, timings, longestWaitMs, longestTickGapMs };
}

serveInChild(run);
