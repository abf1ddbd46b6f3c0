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
  users: z.array(httpUserSchema).default([]),
  sessionTtl: durationMs.prefault('12h'),
});

export type HttpConfig = z.infer<typeof httpConfigSchema>;
export type HttpUser = z.infer<typeof httpUserSchema>;
