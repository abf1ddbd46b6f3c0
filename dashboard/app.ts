import type { SnapshotSource } from '../gateway/types.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AuditLog } from '../gateway/auth/auth-store.ts';
import type { AuthService } from '../gateway/auth/users.ts';
import type { Bus } from '../gateway/bus.ts';
import type { Clock } from '../gateway/clock.ts';
import type { Config } from '../gateway/config/schema.ts';
import type { DeadLetterList } from '../gateway/dead-letters.ts';
import type { Logger } from '../gateway/log.ts';
import type { Metrics } from '../gateway/metrics.ts';
import type { AlertService } from '../rules/service.ts';
import type { DeviceRegistry } from '../gateway/registry.ts';
import type { ComponentHealth, SeriesStore } from '../gateway/store/series-store.ts';
import { PACKAGE_ROOT } from '../gateway/paths.ts';
import { installAuth } from './auth.ts';
import { installErrorHandling } from './errors.ts';
import { routeRecorder } from './openapi.ts';
import { alertRoutes } from './routes/alerts.ts';
import { authRoutes } from './routes/auth.ts';
import { cameraRoutes } from './routes/cameras.ts';
import { deadLetterRoutes } from './routes/dead-letters.ts';
import { deviceRoutes } from './routes/devices.ts';
import { healthRoutes } from './routes/health.ts';
import { kpiRoutes } from './routes/kpi.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { pageRoutes } from './routes/page.ts';
import { streamRoutes } from './routes/stream.ts';
import { userRoutes } from './routes/users.ts';
import { StreamHub } from './stream-hub.ts';
import { useZodSchemas } from './zod-schema.ts';

export { requireRole, SESSION_COOKIE } from './auth.ts';

/** Everything the HTTP app reads. It owns none of it: the supervisor builds and stops these. */
export interface DashboardDeps {
  /** The frozen config; the app reads `site` (the page shows it). Auth settings reach it via `auth`. */
  config: Config;
  /** Live device state for `/api/devices`. */
  registry: DeviceRegistry;
  /** History for `/api/devices/:id/series`; its stats feed `/metrics`. */
  store: SeriesStore;
  deadLetters: DeadLetterList;
  metrics: Metrics;
  /** The registry's `update` events keep the device list cache fresh. */
  bus: Bus;
  /** The HTTP module's logger (give it a child: `log.child({module: 'http'})`). */
  log: Logger;
  clock: Clock;
  /** Component states (`broker`, `store`, …) for `/api/health`, read on each request. */
  health: () => Record<string, ComponentHealth>;
  /** Users and sessions: `(await setupAuth({users: config.http.users, adminPassword, …})).auth`. */
  auth: AuthService;
  /**
   * Who did what (`openAuthStore(join(dataDir, 'auth.db')).audit`); without it nothing is
   * recorded and `/api/audit` answers 503.
   */
  audit?: AuditLog;
  /** Camera snapshots (the ONVIF adapter), when the config has cameras. */
  snapshots?: SnapshotSource;
  /** Alerts, KPIs and recent events (the rule engine); without it those routes answer 503. */
  alerts?: AlertService;
}

const { version } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

/**
 * The HTTP app (STYLE.md 11): built, not started. Tests call `app.inject()`; the supervisor calls
 * `app.listen({host: config.http.host, port: config.http.port})` and `app.close()`.
 *
 * Every route needs a login unless it is declared `config: {public: true}` (`/`, `/api/login`,
 * `/api/health`, `/metrics`). Route groups are encapsulated plugins in `routes/`; their zod
 * schemas validate input and generate `/api/openapi.json`.
 */
export async function buildApp(deps: DashboardDeps): Promise<FastifyInstance> {
  const { log } = deps;
  const app = Fastify({
    loggerInstance: log,
    // One line per request would drown the log (the page polls every 2 s); errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  }) as unknown as FastifyInstance;

  useZodSchemas(app);
  installErrorHandling(app);
  const recorder = routeRecorder();
  app.addHook('onRoute', recorder.onRoute);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    if (request.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
  });
  await installAuth(app, deps.auth);

  const routeDeps: DashboardDeps = { ...deps };
  await app.register(pageRoutes, routeDeps);
  await app.register(authRoutes, routeDeps);
  await app.register(healthRoutes, routeDeps);
  await app.register(deviceRoutes, routeDeps);
  await app.register(cameraRoutes, routeDeps);
  await app.register(deadLetterRoutes, routeDeps);
  await app.register(alertRoutes, routeDeps);
  await app.register(kpiRoutes, routeDeps);
  await app.register(metricsRoutes, routeDeps);
  const hub = new StreamHub({ bus: deps.bus, clock: deps.clock, alerts: deps.alerts });
  // Before the server closes: open streams would keep it waiting.
  app.addHook('preClose', async () => hub.closeAll());
  await app.register(streamRoutes, { ...routeDeps, hub });
  await app.register(userRoutes, { ...routeDeps, hub });
  await app.register(openApiRoutes, { ...routeDeps, routes: recorder.records, version });
  return app;
}
