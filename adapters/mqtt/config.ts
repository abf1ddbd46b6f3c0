import { z } from 'zod';
import { port, secret, topicFilter } from '../../gateway/config/common.ts';

export const mqttUserSchema = z.strictObject({
  username: z.string().min(1),
  password: secret,
  publish: z.array(topicFilter).default([]),
  subscribe: z.array(topicFilter).default([]),
});

export const mqttConfigSchema = z.strictObject({
  port: port.default(1883),
  host: z.string().default('127.0.0.1'),
  /** Topic root, `cg` by default. */
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/)
    .default('cg'),
  allowAnonymous: z.boolean().default(false),
  maxPayloadBytes: z.number().int().min(64).max(16_777_216).default(65_536),
  users: z.array(mqttUserSchema).default([]),
  tls: z
    .strictObject({
      port: port.default(8883),
      cert: z.string().min(1),
      key: z.string().min(1),
    })
    .optional(),
});

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
export type MqttUser = z.infer<typeof mqttUserSchema>;
