import { z } from 'zod';
import { durationMs } from '../../gateway/config/common.ts';
import { DEVICE_KINDS } from '../../gateway/types.ts';
import { defineTemplate } from './define.ts';

/**
 * Any device reported offline (its status, its last will, the adapter's health check, or
 * silence beyond its `offlineAfter`) for `for`. Short blips are ridden out by `for`.
 */
export const deviceOffline = defineTemplate({
  name: 'device-offline',
  description: 'a device offline for `for` (optionally only some kinds)',
  params: z.strictObject({
    for: durationMs.default(60_000),
    kinds: z.array(z.enum(DEVICE_KINDS)).min(1).optional(),
  }),
  build: (p) => ({
    match: p.kinds ? { kind: p.kinds } : {},
    when: { offline: true, for: p.for },
    severity: 'minor',
    team: 'engineering',
    message: '{name} ({device}) is offline',
    flapWindow: '10m',
  }),
});
