import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../gateway/errors.ts';
import type { DashboardDeps } from '../app.ts';
import { errorBodySchema } from '../errors.ts';
import type { StreamHub } from '../stream-hub.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

/** Open `/api/stream` responses one user may hold (browser tabs); one more answers 429. */
export const MAX_STREAMS_PER_USER = 10;

const STREAM_DESCRIPTION = `Server-sent events. First \`retry: 3000\`, then:
- \`event: hello\` \`{serverTime, user: {username, role}}\` at once;
- \`event: devices\` an array of \`{deviceId, ts, values?, online?, reason?}\`, device updates merged per device and sent at most every 250 ms;
- \`event: alert\` an alert, shaped as an item of \`GET /api/alerts\`, on every change;
- \`event: event\` \`{deviceId, ts, type, data}\`, a device event (person fields are pseudonyms);
- \`: ping\` every 15 s.
429 beyond ${MAX_STREAMS_PER_USER} open streams per user. The stream ends when the session does.`;

export interface StreamRouteOptions extends DashboardDeps {
  hub: StreamHub;
}

/** `GET /api/stream`: live updates for the page (EventSource sends the session cookie). */
export const streamRoutes: FastifyPluginAsync<StreamRouteOptions> = async (root, { hub, auth }) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/stream',
    {
      schema: {
        summary: 'Live updates: devices, alerts and events as server-sent events',
        description: STREAM_DESCRIPTION,
        tags: ['live'],
        produces: 'text/event-stream',
        response: {
          200: z.string().meta({ description: 'an endless text/event-stream' }),
          401: errorBodySchema,
          429: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const user = request.user!;
      const token = request.sessionToken!;
      if (hub.countFor(user.username) >= MAX_STREAMS_PER_USER)
        throw new GatewayError(
          'CGW_RATE_LIMITED',
          `at most ${MAX_STREAMS_PER_USER} live streams per user are open; close another tab`,
          { context: { retryAfterMs: 3000 } },
        );
      reply.hijack();
      hub.open(reply.raw, user, () => auth.authenticate(token) !== undefined);
      return reply;
    },
  );
};
