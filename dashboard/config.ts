import { z } from 'zod';
import { durationMs, port } from '../gateway/config/common.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const httpUserSchema = z.strictObject({
  username: z.string().min(1).max(64),
  role: z.enum(ROLES),
  passwordHash: z.string().regex(/^scrypt\$/, 'must be an scrypt hash (make one with `cgw hash-password`)'),
});

export const httpConfigSchema = z.strictObject({
  port: port.default(8080),
  host: z.string().default('127.0.0.1'),
  users: z
    .array(httpUserSchema)
    .default([])
    .superRefine((users, ctx) => {
      const seen = new Set<string>();
      users.forEach((user, index) => {
        if (user.username === 'admin')
          ctx.addIssue({
            code: 'custom',
            path: [index, 'username'],
            message: '"admin" is the built-in administrator; its password comes from CGW_ADMIN_PASSWORD',
          });
        else if (seen.has(user.username))
          ctx.addIssue({
            code: 'custom',
            path: [index, 'username'],
            message: `duplicate http user "${user.username}"`,
          });
        seen.add(user.username);
      });
    }),
  /** How long a dashboard/API session lives from login (it does not slide). */
  sessionTtl: durationMs.prefault('12h'),
  /** How long the audit log keeps an entry: it holds usernames and client addresses. */
  auditRetention: durationMs.prefault('180d'),
});

export type HttpConfig = z.infer<typeof httpConfigSchema>;
export type HttpUser = z.infer<typeof httpUserSchema>;
