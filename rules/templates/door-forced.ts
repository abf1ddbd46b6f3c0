import { z } from 'zod';
import { defineTemplate } from './define.ts';

/** A door opened without a valid credential (the controller's `door.forced` event). */
export const doorForced = defineTemplate({
  name: 'door-forced',
  description: 'door.forced event from an access controller',
  params: z.strictObject({}),
  build: () => ({
    match: { kind: 'access' },
    when: { event: 'door.forced' },
    severity: 'major',
    team: 'security',
    message: '{name}: door forced open',
    escalateAfter: '10m',
  }),
});
