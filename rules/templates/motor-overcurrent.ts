import { z } from 'zod';
import { durationMs } from '../../gateway/config/common.ts';
import { defineTemplate } from './define.ts';

/** A pump motor drawing more than its rating (bearing wear, a jammed impeller). */
export const motorOvercurrent = defineTemplate({
  name: 'motor-overcurrent',
  description: 'motor_current_a above `above` for `for`; clears at `clear` (default 90 % of above)',
  params: z
    .strictObject({
      above: z.number().positive().default(30),
      clear: z.number().optional(),
      for: durationMs.default(10_000),
    })
    .refine((p) => p.clear === undefined || p.clear <= p.above, {
      message: 'clear must not be higher than above',
      path: ['clear'],
    }),
  build: (p) => ({
    match: { kind: 'pump' },
    when: { field: 'motor_current_a', above: p.above, clear: p.clear ?? p.above * 0.9, for: p.for },
    severity: 'major',
    team: 'engineering',
    message: '{name}: motor current {value} A',
  }),
});
