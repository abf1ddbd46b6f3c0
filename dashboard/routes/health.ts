import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { errorMessage } from '../../gateway/errors.ts';
import type { ComponentHealth, ComponentState } from '../../gateway/store/series-store.ts';
import type { DashboardDeps } from '../app.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

const STATES = ['up', 'degraded', 'down'] as const satisfies readonly ComponentState[];

export const healthAnswer = z.object({
  status: z.enum(STATES).meta({ description: 'the worst component state' }),
  components: z.record(z.string(), z.object({ state: z.enum(STATES), detail: z.string() })),
});

/** The worst of the component states; `up` when there are none. */
export function overallState(components: Record<string, ComponentHealth>): ComponentState {
  let worst: ComponentState = 'up';
  for (const { state } of Object.values(components)) {
    if (state === 'down') return 'down';
    if (state === 'degraded') worst = 'degraded';
  }
  return worst;
}

/** `GET /api/health`, for load balancers and the supervisor's watchdog: no login. */
export const healthRoutes: FastifyPluginAsync<DashboardDeps> = async (root, { health, log }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        summary: 'Component states; 503 when any component is down',
        tags: ['system'],
        response: { 200: healthAnswer, 503: healthAnswer },
      },
    },
    async (_request, reply) => {
      let components: Record<string, ComponentHealth>;
      try {
        components = health();
      } catch (err) {
        log.error({ err }, 'health check failed');
        components = { gateway: { state: 'down', detail: `health check failed: ${errorMessage(err)}` } };
      }
      const status = overallState(components);
      return reply.status(status === 'down' ? 503 : 200).send({ status, components });
    },
  );
};
