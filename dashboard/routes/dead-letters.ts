import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { REJECT_REASONS } from '../../gateway/bus.ts';
import type { DashboardDeps } from '../app.ts';
import { errorBodySchema } from '../errors.ts';
import { deadLettersAnswerSchema } from '../schemas.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

export const deadLettersQuery = z.strictObject({
  reason: z.enum(REJECT_REASONS).optional(),
  device: z.string().min(1).max(200).optional().meta({ description: 'device id' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `GET /api/dead-letters`: rejected inputs, newest first. */
export const deadLetterRoutes: FastifyPluginAsync<DashboardDeps> = async (root, { deadLetters }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/dead-letters',
    {
      schema: {
        summary: 'Rejected inputs, newest first',
        tags: ['devices'],
        querystring: deadLettersQuery,
        response: { 200: deadLettersAnswerSchema, 400: errorBodySchema, 401: errorBodySchema },
      },
    },
    async (request) => {
      const { reason, device, limit } = request.query;
      return { total: deadLetters.total, items: deadLetters.list({ reason, deviceId: device, limit }) };
    },
  );
};
