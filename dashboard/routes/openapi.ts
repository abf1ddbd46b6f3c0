import type { FastifyPluginAsync } from 'fastify';
import type { DashboardDeps } from '../app.ts';
import { openApiDocument, type RouteRecord } from '../openapi.ts';

export interface OpenApiRouteOptions extends DashboardDeps {
  /** Filled while the app registers its routes; read on the first request. */
  routes: readonly RouteRecord[];
  version: string;
}

/** `GET /api/openapi.json`, built once on first request (every route is registered by then). */
export const openApiRoutes: FastifyPluginAsync<OpenApiRouteOptions> = async (app, { routes, version }) => {
  let document: string | undefined;
  app.get(
    '/api/openapi.json',
    { schema: { summary: 'This document', tags: ['system'] } },
    async (_request, reply) => {
      document ??= JSON.stringify(openApiDocument(routes, { version }));
      return reply.type('application/json; charset=utf-8').send(document);
    },
  );
};
