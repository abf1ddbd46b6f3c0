import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../gateway/errors.ts';
import type { DashboardDeps } from '../app.ts';
import { errorBodySchema } from '../errors.ts';
import { timeParam } from '../time-param.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';
import { alertServiceOf, deviceEventSchema, kpiSchema } from './alert-schemas.ts';

const DAY_MS = 86_400_000;

export const kpiQuery = z.strictObject({
  from: timeParam.optional().meta({ description: 'epoch ms or ISO 8601; default: `to` minus 7 days' }),
  to: timeParam.optional().meta({ description: 'epoch ms or ISO 8601, exclusive; default: now' }),
});

export const eventsQuery = z.strictObject({
  device: z.string().min(1).max(200).optional(),
  type: z.string().min(1).max(100).optional().meta({ description: 'e.g. door.forced' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const errors = { 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema };

/**
 * `GET /api/kpi`: how the property answers its alerts (count, mean and p90 time to acknowledge
 * and to resolve, by team and severity) and how available its devices were, over a period.
 * `GET /api/events`: the newest device events.
 */
export const kpiRoutes: FastifyPluginAsync<DashboardDeps> = async (root, deps) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const alerts = alertServiceOf(deps);

  app.get(
    '/api/kpi',
    {
      schema: {
        summary: 'Alert response times and device availability over a period',
        description: 'Alerts that started in [from, to). Times in milliseconds.',
        tags: ['alerts'],
        querystring: kpiQuery,
        response: { 200: kpiSchema, ...errors },
      },
    },
    async (request) => {
      const now = deps.clock.now();
      const to = Math.min(request.query.to ?? now, now);
      const from = request.query.from ?? to - 7 * DAY_MS;
      if (from >= to)
        throw new GatewayError(
          'CGW_INPUT_REJECTED',
          'query parameter "from" must be before "to" (and the past)',
          {
            context: { from, to },
          },
        );
      return alerts().kpi(from, to);
    },
  );

  app.get(
    '/api/events',
    {
      schema: {
        summary: 'Recent device events, newest first',
        description: 'The newest 1,000 are kept in memory; the full history is in the `events` series.',
        tags: ['devices'],
        querystring: eventsQuery,
        response: { 200: z.array(deviceEventSchema), ...errors },
      },
    },
    async (request) => alerts().events(request.query),
  );
};
