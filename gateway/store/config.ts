import { z } from 'zod';
import { durationMs } from '../config/common.ts';

export const influxConfigSchema = z.strictObject({
  url: z.url(),
  database: z.string().min(1).default('community'),
  username: z.string().optional(),
  password: z.string().optional(),
  batchSize: z.number().int().min(1).max(50_000).default(5000),
  flushMs: z.number().int().min(10).max(60_000).default(500),
});

export const storeConfigSchema = z.strictObject({
  /** How long the embedded store keeps series. */
  retention: durationMs.prefault('7d'),
});

export type InfluxConfig = z.infer<typeof influxConfigSchema>;
export type StoreConfig = z.infer<typeof storeConfigSchema>;
