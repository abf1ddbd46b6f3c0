// The alert-latency baseline's publisher and subscriber, in a process of their own: one connection
// publishes telemetry at a fixed rate, another subscribed to it times every message from publish
// to receipt (the send time travels in the payload). Options and result as runInChild carries them.
import mqtt from 'mqtt';
import { serveInChild } from './harness.ts';
import { noDelay, telemetry } from './load.ts';

export interface PassThroughOptions {
  url: string;
  /** Publisher connections, used in turn (the alert bench's load uses 10). */
  connections: number;
  ratePerSecond: number;
  durationMs: number;
}

export interface PassThroughResult {
  sent: number;
  received: number;
  elapsedMs: number;
  latenciesMs: number[];
}

async function run(o: PassThroughOptions): Promise<PassThroughResult> {
  const opts = { reconnectPeriod: 0 };
  const pubs = await Promise.all(
    Array.from({ length: o.connections }, (_, i) =>
      mqtt.connectAsync(o.url, { ...opts, clientId: `bench-pt-pub-${i}-${process.pid}` }),
    ),
  );
  const sub = await mqtt.connectAsync(o.url, { ...opts, clientId: `bench-pt-sub-${process.pid}` });
  for (const c of [...pubs, sub]) noDelay(c);
  const latenciesMs: number[] = [];
  let t0 = Infinity;
  let received = 0;
  sub.on('message', (_topic, payload) => {
    received++;
    const s = payload.toString();
    // `"sent":<ms>}` closes the payload: no full parse, so the timing is the broker's.
    const sentAt = Number(s.slice(s.lastIndexOf(':') + 1, -1));
    // The first second is warm-up, as in the alert bench (its breaches of that second are not counted).
    if (sentAt >= t0 + 1000) latenciesMs.push(performance.now() - sentAt);
  });
  await sub.subscribeAsync('cg/bench/#', { qos: 0 });
  t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < o.durationMs) {
    await new Promise((r) => setTimeout(r, 5));
    const due = Math.floor(((performance.now() - t0) / 1000) * o.ratePerSecond) - sent;
    for (let i = 0; i < due; i++) {
      const k = sent++;
      const body = telemetry(k % 2 ? 'elevator' : 'access', Date.now(), k);
      pubs[k % pubs.length]!.publish(
        `cg/bench/access/dev-${k % 1000}/telemetry`,
        `${body.slice(0, -1)},"sent":${performance.now()}}`,
        { qos: 0 },
      );
    }
  }
  const elapsedMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1000));
  await Promise.all([...pubs, sub].map((c) => c.endAsync()));
  return { sent, received, elapsedMs, latenciesMs };
}

serveInChild(run);
