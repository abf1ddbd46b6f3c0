import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatewayError, type ErrorCode } from '../gateway/errors.ts';

/** Every error answer: `{error: {code, message}}`, never a stack trace. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'stable, area-prefixed code, e.g. CGW_NOT_FOUND' }),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** fastify's own 4xx errors (bad JSON, wrong content type, body too large) by status. */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'CGW_UNAUTHORIZED';
  if (status === 403) return 'CGW_FORBIDDEN';
  if (status === 404) return 'CGW_NOT_FOUND';
  if (status === 429) return 'CGW_RATE_LIMITED';
  return 'CGW_INPUT_REJECTED';
}

/** Maps anything thrown to the status and body a client sees. */
export function errorAnswer(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof GatewayError) {
    const internal = err.code === 'CGW_INTERNAL';
    return {
      status: err.httpStatus,
      body: { error: { code: err.code, message: internal ? 'internal error' : err.message } },
    };
  }
  const status = (err as Partial<FastifyError> | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = err instanceof Error ? err.message : 'bad request';
    return { status, body: { error: { code: codeForStatus(status), message } } };
  }
  return { status: 500, body: { error: { code: 'CGW_INTERNAL', message: 'internal error' } } };
}

/**
 * The one place errors become answers (STYLE.md 8). Server-side failures are logged with their
 * stack; the client gets the code and a message only.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = errorAnswer(err);
    if (status >= 500)
      request.log.error({ err, method: request.method, url: request.routeOptions.url }, 'request failed');
    if (err instanceof GatewayError && typeof err.context.retryAfterMs === 'number')
      void reply.header('retry-after', String(Math.max(1, Math.ceil(err.context.retryAfterMs / 1000))));
    return reply.status(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'CGW_NOT_FOUND', message: `no route ${request.method} ${request.url.slice(0, 200)}` },
    } satisfies ErrorBody),
  );
}
