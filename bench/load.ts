import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

export interface LoadOptions {
  url: string;
  username?: string;
  password?: string;
  connections: number;
  /** Device ids; messages go round-robin over them, each connection taking its share. */
  devices: ReadonlyArray<{ id: string; kind: 'access' | 'elevator'; site: string }>;
  durationMs: number;
  qos: 0 | 1;
  prefix?: string;
  /** Messages per second over all connections; absent: as fast as they go. */
  ratePerSecond?: number;
  /** Put the publish time (Date.now()) in each payload's `ts`, for end-to-end delays. */
  tsNow?: boolean;
}

/**
 * Turns Nagle's algorithm off on a client's socket. Latency benches need it: with Nagle on, a
 * small publish can wait for the peer's delayed ACK (40 ms on Linux), which is the socket's
 * latency, not the broker's. The gateway's broker sets it on its side; bare aedes gets it too.
 */
export function noDelay(client: MqttClient): MqttClient {
  (client.stream as Partial<Socket>).setNoDelay?.(true);
  return client;
}

export interface LoadResult {
  sent: number;
  elapsedMs: number;
}

/** Canonical telemetry of about 200 bytes, with a per-device ts that never repeats. */
export function telemetry(kind: 'access' | 'elevator', ts: number, n: number): string {
  if (kind === 'access') {
    return JSON.stringify({
      ts,
      values: {
        door_open: n % 7 === 0,
        locked: n % 7 !== 0,
        battery_pct: 80 + (n % 20),
        rssi_dbm: -40 - (n % 30),
      },
    });
  }
  return JSON.stringify({
    ts,
    values: {
      floor: n % 18,
      direction: n % 3 ? 'up' : 'idle',
      door_open: false,
      moving: n % 3 !== 0,
      load_kg: (n * 37) % 900,
      speed_mps: 1.6,
      mode: 'normal',
      fault_code: 0,
    },
  });
}

/**
 * Publishes as fast as the connections take it for `durationMs` (bounded), in windows so memory
 * stays flat: each connection waits for its last publish of a window to be written before the next.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const prefix = options.prefix ?? 'cg';
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: options.connections }, (_, i) =>
      mqtt.connectAsync(options.url, {
        username: options.username,
        password: options.password,
        clientId: `bench-pub-${i}-${process.pid}`,
        reconnectPeriod: 0,
      }),
    ),
  );
  const t0 = Date.now();
  const baseTs = t0;
  const perDevice = new Uint32Array(options.devices.length);
  let sent = 0;
  const deadline = t0 + options.durationMs;
  await Promise.all(
    clients.map(async (client, c) => {
      const mine = options.devices
        .map((d, i) => ({ ...d, i }))
        .filter((_, i) => i % options.connections === c);
      const topics = mine.map((d) => `${prefix}/${d.site}/${d.kind}/${d.id}/telemetry`);
      let k = 0;
      // Paced: every 10 ms, send what the rate allows up to now (catching up after a slow tick).
      const perConnection = options.ratePerSecond ? options.ratePerSecond / options.connections : undefined;
      while (Date.now() < deadline) {
        let last: Promise<unknown> = Promise.resolve();
        let window = 200;
        if (perConnection) {
          await new Promise((r) => setTimeout(r, 10));
          window = Math.max(0, Math.floor(((Date.now() - t0) / 1000) * perConnection) - k);
        }
        for (let w = 0; w < window; w++) {
          const d = mine[k % mine.length]!;
          const n = perDevice[d.i]!++;
          last = client.publishAsync(
            topics[k % mine.length]!,
            telemetry(d.kind, options.tsNow ? Date.now() : baseTs + n, n),
            {
              qos: options.qos,
            },
          );
          k++;
          sent++;
        }
        await last;
      }
    }),
  );
  const elapsedMs = Date.now() - t0;
  await Promise.all(clients.map((c) => c.endAsync()));
  return { sent, elapsedMs };
}
