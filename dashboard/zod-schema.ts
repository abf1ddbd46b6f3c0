import type { FastifyInstance, FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../gateway/errors.ts';

/**
 * Routes declare zod schemas in `schema.params`, `schema.querystring`, `schema.body` and
 * `schema.response`; zod validates them (no second JSON Schema validator to keep in step) and the
 * OpenAPI document is generated from the same schemas.
 */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

declare module 'fastify' {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    description?: string;
    tags?: string[];
    /** Content type of the 200 answer when not JSON (`text/html`, `text/plain`). */
    produces?: string;
  }
}

/** Where in the request a value came from, as a person names it. */
const PART: Record<string, string> = {
  params: 'path parameter',
  querystring: 'query parameter',
  body: 'body field',
  headers: 'header',
};

/** Installs zod validation on an instance (and its children). */
export function useZodSchemas(app: FastifyInstance): void {
  const compile: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
    if (!(schema instanceof z.ZodType))
      throw new TypeError(`route schema for ${httpPart} is not a zod schema`);
    return (data: unknown) => {
      const result = schema.safeParse(data ?? {});
      if (result.success) return { value: result.data };
      return { error: inputError(result.error, httpPart ?? 'body') };
    };
  };
  app.setValidatorCompiler(compile);
  // Answers are built by our own handlers from typed values: plain JSON.stringify, no second check.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** A 400 naming every offending field: `query parameter "field": required`. */
export function inputError(error: z.ZodError, httpPart: string): GatewayError {
  const part = PART[httpPart] ?? httpPart;
  const problems = error.issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    const where = name ? `${part} "${name}"` : `${part}s`;
    return `${where}: ${describeIssue(issue)}`;
  });
  return new GatewayError('CGW_INPUT_REJECTED', problems.join('; '), {
    context: { problems: error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'required';
  if (issue.code === 'unrecognized_keys') return `unknown ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}
