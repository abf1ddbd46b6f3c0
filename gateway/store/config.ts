import { z } from 'zod';
import { durationMs } from '../config/common.ts';

/** 10 GiB: about a week at 100 readings a second (about 160 bytes each on disk). */
export const SPOOL_MAX_MB = 10_240;

export const influxConfigSchema = z.strictObject({
  url: z.url(),
  database: z.string().min(1).default('community'),
  username: z.string().optional(),
  password: z.string().optional(),
  batchSize: z.number().int().min(1).max(50_000).default(5000),
  flushMs: z.number().int().min(10).max(60_000).default(500),
  /**
   * Most the disk spool holds while InfluxDB is away, in MiB (default SPOOL_MAX_MB); past it (or
   * with under 1 GiB free on the disk) new points wait in memory, and past that the oldest of them
   * are dropped and counted.
   */
  spoolMaxMB: z.number().int().min(1).optional(),
});

export const storeConfigSchema = z.strictObject({
  /** How long the embedded store keeps series. */
  retention: durationMs.prefault('7d'),
});

export type InfluxConfig = z.infer<typeof influxConfigSchema>;
export type StoreConfig = z.infer<typeof storeConfigSchema>;
