import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { identifier } from '../../gateway/config/common.ts';
import { GatewayError } from '../../gateway/errors.ts';
import type { DeviceState } from '../../gateway/registry.ts';
import { DEVICE_KINDS } from '../../gateway/types.ts';
import type { DashboardDeps } from '../app.ts';
import { DeviceView, deviceSummary, type DeviceFilter } from '../device-view.ts';
import { errorBodySchema } from '../errors.ts';
import { deviceDetailSchema, deviceSummarySchema, seriesAnswerSchema } from '../schemas.ts';
import { timeParam } from '../time-param.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

const HOUR_MS = 3_600_000;
const LABEL_FILTER = /^label\.([A-Za-z0-9][A-Za-z0-9_.-]*)$/;
const KNOWN_FILTERS = new Set(['kind', 'site', 'online']);

export const deviceListQuery = z
  .object({
    kind: z.enum(DEVICE_KINDS).optional(),
    site: z.string().min(1).max(64).optional(),
    online: z
      .enum(['true', 'false', 'unknown'])
      .optional()
      .meta({ description: '`unknown`: never heard from' }),
  })
  .catchall(z.string().max(100))
  .superRefine((query, ctx) => {
    for (const key of Object.keys(query))
      if (!KNOWN_FILTERS.has(key) && !LABEL_FILTER.test(key))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'unknown filter: use kind, site, online or label.<name>=<value>',
        });
  })
  .transform((query): DeviceFilter => {
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(query)) {
      const label = LABEL_FILTER.exec(key)?.[1];
      if (label !== undefined && typeof value === 'string') labels[label] = value;
    }
    const filter: DeviceFilter = {};
    if (query.kind) filter.kind = query.kind;
    if (query.site) filter.site = query.site;
    if (query.online) filter.online = query.online === 'unknown' ? null : query.online === 'true';
    if (Object.keys(labels).length) filter.labels = labels;
    return filter;
  });

export const deviceParams = z.strictObject({ id: z.string().min(1).max(200) });

export const seriesQuery = z.strictObject({
  field: identifier.meta({ description: 'a telemetry field, e.g. outlet_pressure_bar' }),
  from: timeParam.optional().meta({ description: 'epoch ms or ISO 8601; default: `to` minus one hour' }),
  to: timeParam.optional().meta({ description: 'epoch ms or ISO 8601, exclusive; default: now' }),
  points: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(500)
    .meta({ description: 'at most this many points (time buckets, averaged)' }),
});

/** `/api/devices…`: the live registry and each device's history. */
export const deviceRoutes: FastifyPluginAsync<DashboardDeps> = async (root, deps) => {
  const { registry, bus, store, clock } = deps;
  const app = root.withTypeProvider<ZodTypeProvider>();
  const view = new DeviceView(registry, bus);
  app.addHook('onClose', async () => view.close());

  const deviceOr404 = (id: string): DeviceState => {
    const device = registry.get(id);
    if (!device) throw new GatewayError('CGW_NOT_FOUND', `no device "${id}"`, { context: { id } });
    return device;
  };

  app.get(
    '/api/devices',
    {
      schema: {
        summary: 'Every device with its latest values',
        description:
          'Filters: `kind`, `site`, `online=true|false|unknown`, `label.<name>=<value>` (repeatable).',
        tags: ['devices'],
        querystring: deviceListQuery,
        response: { 200: z.array(deviceSummarySchema), 400: errorBodySchema, 401: errorBodySchema },
      },
    },
    // Pre-serialised rows (see DeviceView): sent as a string, fastify does not re-serialise it.
    async (request, reply) =>
      reply.type('application/json; charset=utf-8').send(view.listJson(request.query) as never),
  );

  app.get(
    '/api/devices/:id',
    {
      schema: {
        summary: 'One device: live state, last event and linked devices',
        tags: ['devices'],
        params: deviceParams,
        response: { 200: deviceDetailSchema, 401: errorBodySchema, 404: errorBodySchema },
      },
    },
    async (request) => {
      const device = deviceOr404(request.params.id);
      const links = device.links.flatMap((id) => {
        const linked = registry.get(id);
        return linked ? [{ id, kind: linked.kind, name: linked.name, online: linked.online }] : [];
      });
      return {
        ...deviceSummary(device),
        links,
        lastEvent: device.lastEvent,
        offlineAfterMs: device.offlineAfterMs,
      };
    },
  );

  app.get(
    '/api/devices/:id/series',
    {
      schema: {
        summary: "One field's history, downsampled",
        description: 'Measurement is the device kind. Default range: the last hour; `points` default 500.',
        tags: ['devices'],
        params: deviceParams,
        querystring: seriesQuery,
        response: {
          200: seriesAnswerSchema,
          400: errorBodySchema,
          401: errorBodySchema,
          404: errorBodySchema,
          503: errorBodySchema,
        },
      },
    },
    async (request) => {
      const device = deviceOr404(request.params.id);
      const { field, points } = request.query;
      const to = request.query.to ?? clock.now();
      const from = request.query.from ?? to - HOUR_MS;
      if (from >= to)
        throw new GatewayError('CGW_INPUT_REJECTED', `query parameter "from" must be before "to"`, {
          context: { from, to },
        });
      const samples = await store.query({
        measurement: device.kind,
        device: device.id,
        field,
        from,
        to,
        points,
      });
      return {
        device: device.id,
        field,
        from,
        to,
        points: samples.map(({ ts, value }) => ({ ts, value })),
      };
    },
  );
};
