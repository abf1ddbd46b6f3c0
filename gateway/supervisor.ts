import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createAdapters } from '../adapters/index.ts';
import { MqttAdapter } from '../adapters/mqtt/adapter.ts';
import type { Adapter } from '../adapters/types.ts';
import { buildApp } from '../dashboard/app.ts';
import { engineDevices } from '../rules/compile.ts';
import { AlertEngine, type AlertEngineOptions } from '../rules/engine.ts';
import { AlarmsFirst } from './alarms-first.ts';
import { keepAuditFor } from './auth/audit-retention.ts';
import { lockDataDir } from './data-lock.ts';
import { openAuthStore, type UserStore } from './auth/auth-store.ts';
import { setupAuth } from './auth/users.ts';
import { Bus } from './bus.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config/schema.ts';
import { DeadLetterList } from './dead-letters.ts';
import { applyEnv, type RuntimeEnv } from './env.ts';
import { createLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { Pipeline } from './pipeline.ts';
import { Pseudonymiser } from './privacy.ts';
import { tracePublish } from './trace.ts';
import { DeviceRegistry } from './registry.ts';
import { createSeriesStore } from './store/index.ts';
import type { ComponentHealth, SeriesStore } from './store/series-store.ts';
import type { SnapshotSource } from './types.ts';

export interface GatewayOptions {
  config: Config;
  env: RuntimeEnv;
  log?: Logger;
  clock?: Clock;
  /** Serve HTTP (default true). */
  http?: boolean;
  /** How often silent devices are looked for (default 1 s). */
  silenceCheckMs?: number;
  /** Rule engine settings tests shorten (notification backoff, delivery hook). */
  alerts?: Pick<AlertEngineOptions, 'backoff' | 'onSent' | 'timers'>;
}

/** A running gateway: its parts, its addresses, and `stop()`. */
export interface Gateway {
  readonly config: Config;
  readonly registry: DeviceRegistry;
  readonly store: SeriesStore;
  readonly bus: Bus;
  readonly metrics: Metrics;
  readonly deadLetters: DeadLetterList;
  readonly mqtt: MqttAdapter;
  readonly pipeline: Pipeline;
  /** Rules, alerts and notifications; `alerts.reload(rules)` swaps the rules at run time. */
  readonly alerts: AlertEngine;
  readonly mqttPort: number;
  /** `http://127.0.0.1:8080`, or undefined when HTTP is off. */
  readonly httpUrl: string | undefined;
  /** Set on the first start without CGW_ADMIN_PASSWORD: print it once. */
  readonly generatedAdminPassword: string | undefined;
  health(): Record<string, ComponentHealth>;
  stop(): Promise<void>;
}

const runWork = (work: () => void): void => work();

/**
 * Starts the parts in order (store, adapters and broker, HTTP) and stops them in reverse. A part
 * that fails to start stops everything started before it.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const config = applyEnv(options.config, options.env);
  const log = options.log ?? createLogger({ level: options.env.logLevel });
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(options.env.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void> | void> = [lockDataDir(dataDir)];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse().splice(0)) {
      try {
        await stop();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
  };

  try {
    const bus = new Bus((err, name) => log.error({ err, name }, 'bus listener failed'));
    const metrics = new Metrics({ defaultMetrics: true });
    const deadLetters = new DeadLetterList(1000);
    const registry = new DeviceRegistry(config.devices, { bus, clock });
    // Input and the store's background writes wait while an alert is on its way out (alarms-first.ts).
    const lane = new AlarmsFirst((err) => log.error({ err }, 'work waiting behind an alert failed'));
    const defer = (work: () => void): void => lane.run(runWork, work);
    const store = createSeriesStore({
      defer,
      influx: config.influx,
      store: config.store,
      dataDir,
      log: log.child({ module: 'store' }),
      clock,
    });
    store.onBatchWritten = (_points, ms) => metrics.writeLatency.observe(ms / 1000);
    await store.start();
    stops.push(() => store.stop());
    stops.push(() => lane.flush()); // stopped before the store: what waits in the lane is written

    const pipeline = new Pipeline({
      lane,
      registry,
      store,
      bus,
      metrics,
      deadLetters,
      privacy: Pseudonymiser.fromDataDir(dataDir),
      log: log.child({ module: 'pipeline' }),
      clock,
    });
    const adapters = await createAdapters({ config, log, clock });
    const mqtt = adapters.find((a): a is MqttAdapter => a instanceof MqttAdapter)!;
    lane.holdInputWith({ hold: () => mqtt.broker.holdInput(), release: () => mqtt.broker.releaseInput() });
    for (const adapter of adapters) {
      const detach = pipeline.attach(adapter);
      await adapter.start();
      stops.push(async () => {
        await adapter.stop();
        detach();
      });
    }

    const timer = setInterval(() => pipeline.checkSilence(), options.silenceCheckMs ?? 1000);
    timer.unref();
    stops.push(() => clearInterval(timer));

    const snapshots = adapters.find((a): a is Adapter & SnapshotSource => 'snapshot' in a);
    // After the store and the adapters (it reads the bus they feed), stopped before them.
    const alerts = new AlertEngine({
      defer,
      ...options.alerts,
      rules: config.rules,
      notify: config.notify,
      prefix: config.mqtt.prefix,
      devices: engineDevices(config.devices),
      bus,
      series: store,
      log: log.child({ module: 'rules' }),
      clock,
      dataDir,
      publish: (topic, payload, opts) => {
        if (tracePublish.hasSubscribers) tracePublish.publish({ topic });
        const sent = mqtt.broker.publish(topic, payload, opts);
        lane.published();
        return sent;
      },
      snapshots,
    });
    stops.push(() => alerts.stop());
    await alerts.start();

    const health = (): Record<string, ComponentHealth> => ({
      broker: { state: 'up', detail: `${mqtt.broker.connectedClients} clients on port ${mqtt.broker.port}` },
      store: store.health(),
      rules: alerts.health(),
      ...adapterHealth(adapters, registry),
    });

    const authStore = openAuthStore(join(dataDir, 'auth.db'));
    stops.push(() => authStore.close());
    stops.push(
      keepAuditFor({
        audit: authStore.audit,
        keepMs: config.http.auditRetention,
        clock,
        log: log.child({ module: 'audit' }),
      }),
    );
    const { auth, generatedAdminPassword } = await setupAuthPersisted(
      config,
      options.env,
      dataDir,
      clock,
      authStore.users,
    );
    let httpUrl: string | undefined;
    if (options.http !== false) {
      const app = await buildApp({
        snapshots,
        alerts,
        config,
        registry,
        store,
        deadLetters,
        metrics,
        bus,
        log: log.child({ module: 'http' }),
        clock,
        health,
        auth,
        audit: authStore.audit,
      });
      stops.push(() => app.close());
      await app.listen({ host: config.http.host, port: config.http.port });
      const address = app.server.address();
      const port = address && typeof address === 'object' ? address.port : config.http.port;
      httpUrl = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
      log.info({ url: httpUrl }, 'dashboard listening');
      alerts.setBaseUrl(httpUrl);
    }

    let stopping: Promise<void> | undefined;
    return {
      config,
      registry,
      store,
      bus,
      metrics,
      deadLetters,
      mqtt,
      pipeline,
      alerts,
      mqttPort: mqtt.broker.port,
      httpUrl,
      generatedAdminPassword,
      health,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * An adapter is as healthy as its devices: `degraded` while some of them are offline (a dead pump
 * does not make the Modbus adapter down), with the count in the detail.
 */
function adapterHealth(adapters: Adapter[], registry: DeviceRegistry): Record<string, ComponentHealth> {
  const out: Record<string, ComponentHealth> = {};
  for (const adapter of adapters) {
    if (adapter.protocol === 'mqtt') continue;
    const devices = registry.list().filter((d) => d.protocol === adapter.protocol);
    const offline = devices.filter((d) => d.online === false).length;
    const online = devices.filter((d) => d.online === true).length;
    out[adapter.protocol] = {
      state: offline ? 'degraded' : 'up',
      detail: `${online} of ${devices.length} devices online${offline ? `, ${offline} offline` : ''}`,
    };
  }
  return out;
}

/**
 * The admin password: `CGW_ADMIN_PASSWORD`, or one generated on the first start whose hash is
 * kept in the data directory so it stays valid across restarts (it is printed only that once).
 */
async function setupAuthPersisted(
  config: Config,
  env: RuntimeEnv,
  dataDir: string,
  clock: Clock,
  store: UserStore,
) {
  const hashFile = join(dataDir, 'admin.hash');
  const stored =
    !env.adminPassword && existsSync(hashFile) ? readFileSync(hashFile, 'utf8').trim() : undefined;
  const setup = await setupAuth({
    users: config.http.users,
    adminPassword: env.adminPassword,
    adminPasswordHash: stored,
    sessionTtlMs: config.http.sessionTtl,
    clock,
    store,
  });
  if (setup.generatedAdminPassword) writeFileSync(hashFile, setup.adminPasswordHash + '\n', { mode: 0o600 });
  return setup;
}
