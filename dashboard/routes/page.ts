import type { FastifyPluginAsync } from 'fastify';
import type { DashboardDeps } from '../app.ts';
import { renderPage } from '../page.ts';

/** `GET /`: the control-room page (no login: it shows its own login form). */
export const pageRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { config }) => {
  const page = renderPage({ site: config.site });
  app.get(
    '/',
    {
      config: { public: true },
      schema: { summary: 'The dashboard page', tags: ['system'], produces: 'text/html' },
    },
    async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', page.contentSecurityPolicy)
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .send(page.html),
  );
};
