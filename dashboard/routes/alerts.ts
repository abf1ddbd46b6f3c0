import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../gateway/errors.ts';
import { ALERT_STATES } from '../../rules/lifecycle.ts';
import type { DashboardDeps } from '../app.ts';
import { auditTrail } from '../audit.ts';
import { requireRole } from '../auth.ts';
import { errorBodySchema } from '../errors.ts';
import { timeParam } from '../time-param.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';
import { ackLinkRoutes } from './alert-link.ts';
import { alertDetailSchema, alertParams, alertSchema, alertServiceOf } from './alert-schemas.ts';

export const alertListQuery = z.strictObject({
  state: z
    .enum([...ALERT_STATES, 'open'])
    .optional()
    .meta({ description: '`open`: active or acknowledged' }),
  device: z.string().min(1).max(200).optional(),
  rule: z.string().min(1).max(200).optional(),
  from: timeParam.optional().meta({ description: 'started at or after (epoch ms or ISO 8601)' }),
  to: timeParam.optional().meta({ description: 'started before' }),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const noteBody = z
  .strictObject({
    note: z.string().max(1000).optional().meta({ description: 'what was done, for the history' }),
  })
  .optional();

const errors = { 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema };

/**
 * `/api/alerts…`: the alert queue, one alert with its history and deliveries, acknowledge and
 * resolve (operator role, an optional note), the stored snapshot, and the signed-link routes.
 */
export const alertRoutes: FastifyPluginAsync<DashboardDeps> = async (root, deps) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const alerts = alertServiceOf(deps);
  const record = auditTrail(deps);
  const alertOr404 = (id: string) => {
    const alert = alerts().get(id);
    if (!alert) throw new GatewayError('CGW_NOT_FOUND', `no alert "${id}"`, { context: { id } });
    return alert;
  };

  app.get(
    '/api/alerts',
    {
      schema: {
        summary: 'Alerts, newest first',
        tags: ['alerts'],
        querystring: alertListQuery,
        response: { 200: z.array(alertSchema), 400: errorBodySchema, ...errors },
      },
    },
    async (request) => alerts().list(request.query),
  );

  app.get(
    '/api/alerts/:id',
    {
      schema: {
        summary: 'One alert with who did what when, and where it was notified',
        tags: ['alerts'],
        params: alertParams,
        response: { 200: alertDetailSchema, ...errors },
      },
    },
    async (request) => {
      const alert = alertOr404(request.params.id);
      const service = alerts();
      const history = service.history(alert.id).map(({ ts, action, by, note }) => ({ ts, action, by, note }));
      return { ...alert, history, deliveries: service.deliveries(alert.id) };
    },
  );

  for (const action of ['ack', 'resolve'] as const) {
    app.post(
      `/api/alerts/:id/${action}`,
      {
        preHandler: requireRole('operator'),
        schema: {
          summary: action === 'ack' ? 'Acknowledge an alert (operator)' : 'Resolve an alert (operator)',
          description: '409 when it is already acknowledged / resolved.',
          tags: ['alerts'],
          params: alertParams,
          body: noteBody,
          response: { 200: alertSchema, 400: errorBodySchema, 409: errorBodySchema, ...errors },
        },
      },
      async (request) => {
        const by = request.user!.username;
        const note = request.body?.note ?? null;
        const service = alerts();
        alertOr404(request.params.id);
        const alert =
          action === 'ack'
            ? service.acknowledge(request.params.id, by, note)
            : service.resolve(request.params.id, by, note);
        record(request, `alert.${action}`, alert.id, { detail: note });
        return alert;
      },
    );
  }

  app.get(
    '/api/alerts/:id/snapshot',
    {
      schema: {
        summary: 'The camera snapshot taken when the alert fired (JPEG)',
        description: 'From a camera linked to the device; `camera` picks one when there are several.',
        tags: ['alerts'],
        produces: 'image/jpeg',
        params: alertParams,
        querystring: z.strictObject({ camera: z.string().min(1).max(200).optional() }),
        response: errors,
      },
    },
    async (request, reply) => {
      alertOr404(request.params.id);
      const snapshot = alerts().snapshot(request.params.id, request.query.camera);
      if (!snapshot)
        throw new GatewayError('CGW_NOT_FOUND', `no snapshot stored for alert "${request.params.id}"`);
      return reply
        .type('image/jpeg')
        .header('x-cgw-camera', snapshot.camera)
        .send(snapshot.jpeg as never);
    },
  );

  await app.register(ackLinkRoutes, deps);
};
