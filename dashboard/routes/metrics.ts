import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { DashboardDeps } from '../app.ts';

/** `GET /metrics`: Prometheus text, no login (scrapers rarely carry one; nothing secret in it). */
export const metricsRoutes: FastifyPluginAsync<DashboardDeps> = async (app, { metrics, store }) => {
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['system'],
        produces: 'text/plain; version=0.0.4',
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => {
      metrics.observeStore(store);
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
};
