import { parseConfigObject } from '../gateway/config/load.ts';
import type { Config } from '../gateway/config/schema.ts';

export const BENCH_SITE = 'bench';

/** `dev-0…dev-N-1`, doors and lifts alternating, as the load generator addresses them. */
export function benchDevices(
  count: number,
): Array<{ id: string; kind: 'access' | 'elevator'; site: string }> {
  return Array.from({ length: count }, (_, i) => ({
    id: `dev-${i}`,
    kind: i % 2 ? 'elevator' : 'access',
    site: BENCH_SITE,
  }));
}

/**
 * A gateway config with `devices` MQTT devices and a `bench` user allowed to publish for all of
 * them over a few connections; optional InfluxDB (else the embedded store).
 */
export function benchGatewayConfig(
  devices: number,
  options: { influxUrl?: string; database?: string } = {},
): Config {
  const result = parseConfigObject({
    site: BENCH_SITE,
    mqtt: { port: 0, users: [{ username: 'bench', password: 'bench', publish: [`cg/${BENCH_SITE}/#`] }] },
    http: { port: 0 },
    ...(options.influxUrl
      ? { influx: { url: options.influxUrl, database: options.database ?? 'bench' } }
      : {}),
    devices: benchDevices(devices).map((d, i) => ({
      id: d.id,
      kind: d.kind,
      protocol: 'mqtt',
      password: `pw-${i}`,
      labels: { building: `b${i % 20}` },
    })),
  });
  if (!result.ok) throw new Error(`bench config: ${JSON.stringify(result.problems)}`);
  return result.config;
}
