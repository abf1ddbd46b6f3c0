import { z } from 'zod';
import { belowParams, defineTemplate } from './define.ts';

/**
 * Residents on the upper floors lose water when a running booster pump cannot hold its outlet
 * pressure (air in the line, a failing impeller, a burst pipe). A stopped pump is not this alert.
 */
export const pumpLowPressure = defineTemplate({
  name: 'pump-low-pressure',
  description: 'outlet_pressure_bar below `below` while running, for `for`; clears at `clear`',
  params: belowParams(z.number().default(2), 30_000),
  build: (p) => ({
    match: { kind: 'pump' },
    when: {
      all: [
        { field: 'outlet_pressure_bar', below: p.below, clear: p.clear ?? p.below + 0.2 },
        { field: 'running', equals: true },
      ],
      for: p.for,
    },
    severity: 'major',
    team: 'engineering',
    message: '{name}: outlet pressure {value} bar while running',
    escalateAfter: '15m',
  }),
});
