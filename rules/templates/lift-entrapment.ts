import { z } from 'zod';
import { durationMs } from '../../gateway/config/common.ts';
import { defineTemplate } from './define.ts';

/**
 * A passenger trapped in a lift: the controller's own `elevator.entrapment` event, or, for lifts
 * that do not report it, the car standing still with its doors closed and someone inside.
 */
export const liftEntrapment = defineTemplate({
  name: 'lift-entrapment',
  description: 'elevator.entrapment event, or doors closed + not moving + load above minLoadKg for `for`',
  params: z.strictObject({
    for: durationMs.default(60_000),
    minLoadKg: z.number().min(0).default(0),
  }),
  build: (p) => ({
    match: { kind: 'elevator' },
    when: {
      any: [
        { event: 'elevator.entrapment' },
        {
          all: [
            { field: 'load_kg', above: p.minLoadKg },
            { field: 'door_open', equals: false },
            { field: 'moving', equals: false },
          ],
          for: p.for,
        },
      ],
    },
    severity: 'critical',
    team: 'elevator',
    message: '{name}: passenger may be trapped (load {value} kg, doors closed, car not moving)',
    escalateAfter: '5m',
  }),
});
