import { z } from 'zod';
import { durationMs } from '../../gateway/config/common.ts';
import { defineTemplate } from './define.ts';

/**
 * A door left open (propped, tailgating): `door_open` true for `for`. Controllers that time it
 * themselves send `door.held_open`, which fires at once.
 */
export const doorHeldOpen = defineTemplate({
  name: 'door-held-open',
  description: 'door_open true for `for`, or a door.held_open event',
  params: z.strictObject({ for: durationMs.default(120_000) }),
  build: (p) => ({
    match: { kind: 'access' },
    when: { any: [{ field: 'door_open', equals: true, for: p.for }, { event: 'door.held_open' }] },
    severity: 'minor',
    team: 'security',
    message: '{name}: door held open',
  }),
});
