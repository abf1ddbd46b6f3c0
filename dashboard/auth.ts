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

/** The token from `Authorization: Bearer …`, else from the session cookie, and where it came from. */
function tokenOf(request: FastifyRequest): { token: string | undefined; viaCookie: boolean } {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return { token: match?.[1], viaCookie: false };
  }
  return { token: request.cookies[SESSION_COOKIE] || undefined, viaCookie: true };
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * True when a browser says the request comes from the dashboard's own origin: `Sec-Fetch-Site:
 * same-origin` or `none` (typed by the user), else an `Origin` whose host is the `Host` the
 * request was sent to. A request with neither is refused: every browser that sends cookies
 * sends one of them on a POST.
 */
export function isSameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return true;
  if (site !== undefined) return false;
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (!origin || origin === 'null' || !host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
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
    const { token, viaCookie } = tokenOf(request);
    const session = auth.authenticate(token);
    if (session && token) {
      // Cross-site request protection: a browser sends the cookie on a form another site
      // submits; it cannot make such a request carry a bearer token or a same-origin Origin.
      if (
        viaCookie &&
        STATE_CHANGING.has(request.method) &&
        request.routeOptions.config.public !== true &&
        !isSameOrigin(request)
      )
        throw new GatewayError(
          'CGW_FORBIDDEN',
          'cross-site request refused: a cookie-authenticated change needs a same-origin Origin header',
        );
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
