import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { roleAtLeast, type AuthService, type Session } from '../gateway/auth/users.ts';
import { GatewayError } from '../gateway/errors.ts';
import type { Role } from './config.ts';

/** The session cookie's name. */
export const SESSION_COOKIE = 'cgw_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in user, or null (only public routes ever see null). */
    user: Session | null;
    /** The token that authenticated this request. */
    sessionToken: string | null;
  }
  interface FastifyContextConfig {
    /** Reachable without a login. Routes are protected unless they say so. */
    public?: boolean;
  }
}

/** The token from `Authorization: Bearer …`, else from the session cookie. */
function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  return request.cookies[SESSION_COOKIE] || undefined;
}

/**
 * Authentication for the whole app (installed on the root instance, not as an encapsulated
 * plugin, so every route group inherits it). Each request is matched to its session; a route
 * without `config: {public: true}` answers 401 to a request without a live one — unknown URLs
 * included, so the API's shape is not probed without a login.
 */
export async function installAuth(app: FastifyInstance, auth: AuthService): Promise<void> {
  await app.register(cookie);
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);
  app.addHook('onRequest', async (request) => {
    const token = tokenOf(request);
    const session = auth.authenticate(token);
    if (session && token) {
      request.user = session;
      request.sessionToken = token;
      return;
    }
    if (request.routeOptions.config.public === true) return;
    throw new GatewayError(
      'CGW_UNAUTHORIZED',
      token ? 'session expired or unknown: log in again' : 'log in first (POST /api/login)',
    );
  });
}

/**
 * A preHandler for routes that need more than a login: `{preHandler: requireRole('operator')}`.
 * Roles are ordered viewer < operator < admin.
 */
export function requireRole(role: Role): preHandlerAsyncHookHandler {
  return async (request) => {
    if (!request.user) throw new GatewayError('CGW_UNAUTHORIZED', 'log in first (POST /api/login)');
    if (!roleAtLeast(request.user.role, role))
      throw new GatewayError('CGW_FORBIDDEN', `this needs the ${role} role; you are ${request.user.role}`);
  };
}
