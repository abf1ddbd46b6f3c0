import type { FastifySchema, RouteOptions } from 'fastify';
import { z } from 'zod';
import { SESSION_COOKIE } from './auth.ts';

/** What the OpenAPI document needs to know of one route. */
export interface RouteRecord {
  method: string;
  url: string;
  schema: FastifySchema;
  public: boolean;
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
};

const PARAMETER_PARTS = [
  ['params', 'path'],
  ['querystring', 'query'],
] as const;

/** Collects routes as they are added (an `onRoute` hook on the root instance). */
export function routeRecorder(): { records: RouteRecord[]; onRoute: (route: RouteOptions) => void } {
  const records: RouteRecord[] = [];
  const onRoute = (route: RouteOptions): void => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' || route.schema === undefined) continue;
      const config = route.config as { public?: boolean } | undefined;
      records.push({ method, url: route.url, schema: route.schema, public: config?.public === true });
    }
  };
  return { records, onRoute };
}

function toJsonSchema(schema: unknown, io: 'input' | 'output'): JsonSchema {
  if (!(schema instanceof z.ZodType)) return {};
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return json;
}

function parameters(schema: FastifySchema): unknown[] {
  const out: unknown[] = [];
  for (const [part, where] of PARAMETER_PARTS) {
    const json = toJsonSchema(schema[part], 'input');
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function responses(schema: FastifySchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  for (const [status, body] of Object.entries(declared)) {
    const description = Number(status) < 400 ? 'success' : 'error: {error: {code, message}}';
    if (status === '204') {
      out[status] = { description: 'no content' };
      continue;
    }
    const type = status.startsWith('2') && schema.produces ? schema.produces : 'application/json';
    out[status] = { description, content: { [type]: { schema: toJsonSchema(body, 'output') } } };
  }
  return out;
}

/** An OpenAPI 3.1 document for the recorded routes; schemas come from the routes' zod schemas. */
export function openApiDocument(records: readonly RouteRecord[], info: { version: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of records) {
    const { schema } = route;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
      summary: schema.summary ?? '',
      ...(schema.description ? { description: schema.description } : {}),
      ...(schema.tags ? { tags: schema.tags } : {}),
      parameters: parameters(schema),
      responses: responses(schema),
      ...(route.public ? { security: [] } : {}),
    };
    if (schema.body !== undefined)
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toJsonSchema(schema.body, 'input') } },
      };
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'community-gateway',
      version: info.version,
      description:
        'Smart-community IoT gateway API. Log in with POST /api/login; send the cookie or a bearer token.',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ session: [] }, { bearer: [] }],
    paths,
  };
}
