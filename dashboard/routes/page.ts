import type { FastifyPluginAsync } from 'fastify';
import type { DashboardDeps } from '../app.ts';
import { CONTENT_SECURITY_POLICY, loadPage } from '../page.ts';

/** `GET /`, `/app.js`, `/app.css`: the control-room page (no login: it shows its own login form). */
export const pageRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { config }) => {
  const assets = await loadPage({ site: config.site });
  for (const [url, asset] of Object.entries(assets)) {
    app.get(
      url,
      {
        config: { public: true },
        // The bundle files stay out of the OpenAPI document (a route without a schema is not listed).
        ...(url === '/'
          ? { schema: { summary: 'The dashboard page', tags: ['system'], produces: 'text/html' } }
          : {}),
      },
      async (_request, reply) =>
        reply
          .type(asset.type)
          .header('content-security-policy', CONTENT_SECURITY_POLICY)
          .header('x-frame-options', 'DENY')
          .header('referrer-policy', 'no-referrer')
          .header('cache-control', url === '/' ? 'no-cache' : 'public, max-age=300')
          .send(asset.body),
    );
  }
};
