import { GatewayError } from './errors.ts';
import { influxConfigSchema } from './store/config.ts';
import { parseInfluxUrl } from './store/index.ts';
import type { Config } from './config/schema.ts';

/** What the environment decides (DESIGN.md "Command line"). */
export interface RuntimeEnv {
  dataDir: string;
  httpPort?: number;
  mqttPort?: number;
  influxUrl?: string;
  adminPassword?: string;
  logLevel?: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  return {
    dataDir: env.CGW_DATA_DIR || './data',
    httpPort: portOf(env, 'CGW_HTTP_PORT'),
    mqttPort: portOf(env, 'CGW_MQTT_PORT'),
    influxUrl: env.CGW_INFLUX_URL || undefined,
    adminPassword: env.CGW_ADMIN_PASSWORD || undefined,
    logLevel: env.CGW_LOG_LEVEL || undefined,
  };
}

/**
 * The config with the environment's overrides applied: `CGW_HTTP_PORT`, `CGW_MQTT_PORT` and
 * `CGW_INFLUX_URL` win over the file.
 */
export function applyEnv(config: Config, env: RuntimeEnv): Config {
  const influx = env.influxUrl
    ? { ...(config.influx ?? defaultsForInflux()), ...parseInfluxUrl(env.influxUrl) }
    : config.influx;
  return Object.freeze({
    ...config,
    mqtt: env.mqttPort !== undefined ? { ...config.mqtt, port: env.mqttPort } : config.mqtt,
    http: env.httpPort !== undefined ? { ...config.http, port: env.httpPort } : config.http,
    influx,
  });
}

/** The `influx:` defaults (batching, spool limit) for a URL that comes from the environment alone. */
function defaultsForInflux() {
  const { url: _url, ...defaults } = influxConfigSchema.parse({ url: 'http://127.0.0.1' });
  return defaults;
}

function portOf(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new GatewayError('CGW_CONFIG_INVALID', `${name}="${raw}" is not a port number (0-65535)`);
  return port;
}
