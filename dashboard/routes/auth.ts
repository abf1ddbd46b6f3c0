import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { isGatewayError } from '../../gateway/errors.ts';
import { LogThrottle } from '../../gateway/log.ts';
import type { DashboardDeps } from '../app.ts';
import { auditTrail } from '../audit.ts';
import { SESSION_COOKIE } from '../auth.ts';
import { ROLES } from '../config.ts';
import { errorBodySchema } from '../errors.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

export const loginBody = z.strictObject({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
});

export const sessionAnswer = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  expiresAt: z.number().meta({ description: 'epoch ms' }),
});

export const loginAnswer = sessionAnswer.extend({
  token: z.string().meta({ description: 'for `Authorization: Bearer <token>`; also set as cookie' }),
});

/** Login, logout and "who am I". */
export const authRoutes: FastifyPluginAsync<DashboardDeps> = async (root, deps) => {
  const { auth, log, clock } = deps;
  const app = root.withTypeProvider<ZodTypeProvider>();
  const record = auditTrail(deps);
  const failures = new LogThrottle(60_000);

  app.post(
    '/api/login',
    {
      config: { public: true },
      schema: {
        summary: 'Log in: answers a token and sets the session cookie',
        tags: ['auth'],
        body: loginBody,
        response: { 200: loginAnswer, 400: errorBodySchema, 401: errorBodySchema, 429: errorBodySchema },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      try {
        const { token, session } = await auth.login(username, password, request.ip);
        log.info({ username, role: session.role, address: request.ip }, 'login');
        record(request, 'login', null, { username });
        void reply.setCookie(SESSION_COOKIE, token, {
          httpOnly: true,
          sameSite: 'strict',
          path: '/',
          maxAge: Math.floor(auth.sessionTtlMs / 1000),
        });
        return { token, username: session.username, role: session.role, expiresAt: session.expiresAt };
      } catch (err) {
        if (isGatewayError(err, 'CGW_UNAUTHORIZED') || isGatewayError(err, 'CGW_RATE_LIMITED')) {
          record(request, 'login.failed', null, { username: username.slice(0, 200), detail: err.message });
          const suppressed = failures.take(`${username}\u0000${request.ip}`, clock.now());
          if (suppressed !== undefined)
            log.warn({ username, address: request.ip, code: err.code, suppressed }, 'login refused');
        }
        throw err;
      }
    },
  );

  root.post(
    '/api/logout',
    {
      schema: {
        summary: 'End the session and clear the cookie',
        tags: ['auth'],
        response: { 204: z.null(), 401: errorBodySchema },
      },
    },
    async (request, reply) => {
      if (request.sessionToken) auth.logout(request.sessionToken);
      record(request, 'logout', null);
      void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/session',
    {
      schema: {
        summary: 'The logged-in user',
        tags: ['auth'],
        response: { 200: sessionAnswer, 401: errorBodySchema },
      },
    },
    async (request) => {
      const user = request.user!;
      return { username: user.username, role: user.role, expiresAt: user.expiresAt };
    },
  );
};
