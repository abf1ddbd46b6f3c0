import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../gateway/errors.ts';
import type { DashboardDeps } from '../app.ts';
import { requireRole } from '../auth.ts';
import { errorBodySchema } from '../errors.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

const cameraParams = z.strictObject({
  id: z.string().min(1).max(200).meta({ description: 'camera device id' }),
});

/**
 * `GET /api/cameras/:id/snapshot`: a JPEG taken from the camera now (an operator checking a
 * forced door). The camera is asked on each request; errors carry the adapter's codes: 503 camera
 * offline or unreachable, 504 camera too slow, 502 camera answered but unusable.
 */
export const cameraRoutes: FastifyPluginAsync<DashboardDeps> = async (root, { registry, snapshots }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/cameras/:id/snapshot',
    {
      preHandler: requireRole('viewer'),
      schema: {
        summary: 'A JPEG snapshot from a camera, taken now',
        description: 'Answers `image/jpeg`. 503: the camera is offline; 504: it did not answer in time.',
        tags: ['devices'],
        produces: 'image/jpeg',
        params: cameraParams,
        response: {
          // For the OpenAPI document only: a Buffer is sent as it is, never serialised.
          200: z.string().meta({ description: 'the JPEG image', format: 'binary' }),
          401: errorBodySchema,
          403: errorBodySchema,
          404: errorBodySchema,
          502: errorBodySchema,
          503: errorBodySchema,
          504: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const device = registry.get(id);
      if (!device || device.kind !== 'camera' || !snapshots)
        throw new GatewayError('CGW_NOT_FOUND', `no camera "${id}"`, { context: { id } });
      const jpeg = await snapshots.snapshot(id);
      // A Buffer goes out as is: no response schema is declared for 200.
      return reply.type('image/jpeg').send(jpeg as never);
    },
  );
};
