import { z } from 'zod';
import { durationMs, identifier, secret } from '../../gateway/config/common.ts';

/** A duration (`500ms`, `10s` or a number of ms) of at least `min` ms. */
const ms = (min: number, fallback: number) =>
  durationMs.pipe(z.number().int().min(min, `must be at least ${min} ms`)).default(fallback);

/**
 * The `onvif:` section of a camera in the config. Durations accept `10s` as well as a number of
 * milliseconds, since integrators copy both styles from camera manuals.
 */
export const onvifConfigSchema = z
  .strictObject({
    /** Device-service address: `http://192.168.1.20/onvif/device_service`. */
    xaddr: z
      .url()
      .refine(
        (u) => /^https?:\/\//i.test(u),
        'the device-service address must be an http:// or https:// URL',
      ),
    username: z.string().min(1),
    /**
     * The camera's own password. WS-Security digests need the plain text, so unlike device
     * passwords an scrypt hash cannot be used here: take it from the environment (`${CAM_PASSWORD}`).
     */
    password: secret.refine((p) => !p.startsWith('scrypt$'), {
      message: 'a camera password must be the plain password (use ${ENV}), not an scrypt hash',
    }),
    /** Between health checks. */
    healthMs: ms(100, 10_000),
    /** Consecutive failed checks before the camera is reported offline. */
    failuresBeforeOffline: z.number().int().min(1).max(100).default(3),
    /** One SOAP or snapshot request. */
    timeoutMs: ms(50, 5_000),
    /** Fetch a snapshot on every health check, so `snapshot_ms` is charted (default true). */
    healthSnapshot: z.boolean().default(true),
    /** Receive motion / tamper / video-loss events through a PullPoint subscription (default true). */
    events: z.boolean().default(true),
    /** How long one PullMessages may wait on the camera for an event (the long poll); whole seconds. */
    pullTimeoutMs: ms(1_000, 10_000),
    /** Lifetime asked for a subscription; it is renewed before it ends. */
    subscriptionTtlMs: ms(1_000, 60_000),
    /** Media profile for snapshots; default: the camera's first profile. */
    profile: identifier.optional(),
  })
  .refine((c) => c.subscriptionTtlMs > c.pullTimeoutMs, {
    message: 'subscriptionTtlMs must be longer than pullTimeoutMs, or every subscription dies mid-pull',
    path: ['subscriptionTtlMs'],
  });

export type OnvifConfig = z.infer<typeof onvifConfigSchema>;
