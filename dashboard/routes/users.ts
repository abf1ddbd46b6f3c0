import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../gateway/errors.ts';
import type { DashboardDeps } from '../app.ts';
import { auditTrail } from '../audit.ts';
import { requireRole } from '../auth.ts';
import { ROLES } from '../config.ts';
import { errorBodySchema } from '../errors.ts';
import type { StreamHub } from '../stream-hub.ts';
import { timeParam } from '../time-param.ts';
import type { ZodTypeProvider } from '../zod-schema.ts';

const epochMs = z.number().meta({ description: 'epoch milliseconds' });

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');
const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024);

export const userSchema = z.object({
  username: z.string(),
  role: z.enum(ROLES),
  source: z
    .enum(['builtin', 'config', 'managed'])
    .meta({ description: '`builtin` (admin) and `config` (http.users) are read-only here' }),
  disabled: z.boolean(),
  createdAt: epochMs.nullable(),
  createdBy: z.string().nullable(),
  updatedAt: epochMs.nullable(),
});

export const auditEntrySchema = z.object({
  ts: epochMs,
  username: z.string().meta({ description: 'who; for a failed login the username tried' }),
  action: z.string().meta({
    description:
      'login, login.failed, logout, alert.ack, alert.resolve, alert.ack-link, user.create, user.disable, user.enable, user.role, user.password',
  }),
  target: z.string().nullable(),
  address: z.string().nullable().meta({ description: 'client address' }),
  detail: z.string().nullable(),
});

const createBody = z.strictObject({
  username: usernameSchema,
  role: z.enum(ROLES),
  password: passwordSchema,
});
const userParams = z.strictObject({ username: usernameSchema });
const passwordBody = z.strictObject({ password: passwordSchema });
const roleBody = z.strictObject({ role: z.enum(ROLES) });
export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  from: timeParam.optional().meta({ description: 'at or after (epoch ms or ISO 8601)' }),
  to: timeParam.optional().meta({ description: 'before' }),
});

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema };
/** What the routes on one user (`/api/users/:username/…`) share: the path and the answers. */
const oneUser = {
  tags: ['users'],
  params: userParams,
  response: { 200: userSchema, ...errors, 404: errorBodySchema, 409: errorBodySchema },
};

export interface UserRouteOptions extends DashboardDeps {
  hub: StreamHub;
}

/** `/api/users…` and `/api/audit`: the administrator's pages. */
export const userRoutes: FastifyPluginAsync<UserRouteOptions> = async (root, deps) => {
  const { auth, hub } = deps;
  const record = auditTrail(deps);
  const app = root.withTypeProvider<ZodTypeProvider>();
  // Before validation: a viewer learns nothing about the admin routes' input rules.
  app.addHook('preValidation', requireRole('admin'));

  app.get(
    '/api/users',
    {
      schema: {
        summary: 'Every user: admin, config users (read-only) and those an admin made (admin)',
        tags: ['users'],
        response: { 200: z.array(userSchema), ...errors },
      },
    },
    async () => auth.listUsers(),
  );

  app.post(
    '/api/users',
    {
      schema: {
        summary: 'Make a user (admin); the password is stored hashed',
        description: '409 when the username is taken.',
        tags: ['users'],
        body: createBody,
        response: { 201: userSchema, ...errors, 409: errorBodySchema, 503: errorBodySchema },
      },
    },
    async (request, reply) => {
      const user = await auth.createUser(request.body, request.user!.username);
      record(request, 'user.create', user.username, { detail: `role ${user.role}` });
      return reply.status(201).send(user);
    },
  );

  for (const action of ['disable', 'enable'] as const)
    app.post(
      `/api/users/:username/${action}`,
      {
        schema: {
          summary:
            action === 'disable'
              ? 'Disable a user: their sessions end and they cannot log in (admin)'
              : 'Enable a disabled user (admin)',
          description: '409 for `admin` and config users (read-only).',
          ...oneUser,
        },
      },
      async (request) => {
        const { username } = request.params;
        if (action === 'disable' && username === request.user!.username)
          throw new GatewayError('CGW_CONFLICT', 'you cannot disable yourself');
        const user = auth.setDisabled(username, action === 'disable');
        if (action === 'disable') hub.closeUser(username);
        record(request, `user.${action}`, username);
        return user;
      },
    );

  app.post(
    '/api/users/:username/role',
    {
      schema: {
        summary: "Change a user's role; their sessions end (admin)",
        description: '409 for `admin`, config users (read-only) and yourself.',
        ...oneUser,
        body: roleBody,
      },
    },
    async (request) => {
      const { username } = request.params;
      // An administrator who lowers their own role locks themselves out of this page.
      if (username === request.user!.username)
        throw new GatewayError('CGW_CONFLICT', 'you cannot change your own role');
      const { user, was } = auth.setRole(username, request.body.role);
      hub.closeUser(username);
      record(request, 'user.role', username, { detail: `${was} → ${user.role}` });
      return user;
    },
  );

  app.post(
    '/api/users/:username/password',
    {
      schema: {
        summary: "Reset a user's password; their sessions end (admin)",
        description: '409 for `admin` and config users (read-only).',
        ...oneUser,
        body: passwordBody,
      },
    },
    async (request) => {
      const { username } = request.params;
      const user = await auth.resetPassword(username, request.body.password);
      hub.closeUser(username);
      record(request, 'user.password', username);
      return user;
    },
  );

  app.get(
    '/api/audit',
    {
      schema: {
        summary: 'Who did what when, newest first (admin)',
        tags: ['users'],
        querystring: auditQuery,
        response: { 200: z.array(auditEntrySchema), ...errors, 503: errorBodySchema },
      },
    },
    async (request) => {
      if (!deps.audit)
        throw new GatewayError('CGW_STORE_UNAVAILABLE', 'the audit log needs the data directory');
      const { limit, from, to } = request.query;
      if (from !== undefined && to !== undefined && from >= to)
        throw new GatewayError('CGW_INPUT_REJECTED', 'query parameter "from" must be before "to"');
      return deps.audit.list({ limit, from, to });
    },
  );
};
