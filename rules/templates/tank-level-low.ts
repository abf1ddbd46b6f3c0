import { z } from 'zod';
import { belowParams, defineTemplate } from './define.ts';

/** The water tank a pump draws from is running dry (a pump running dry burns out). */
export const tankLevelLow = defineTemplate({
  name: 'tank-level-low',
  description: 'tank_level_pct below `below` for `for`; clears at `clear`',
  params: belowParams(z.number().min(0).max(100).default(20), 60_000),
  build: (p) => ({
    match: { kind: 'pump' },
    when: {
      field: 'tank_level_pct',
      below: p.below,
      clear: p.clear ?? Math.min(100, p.below + 5),
      for: p.for,
    },
    severity: 'major',
    team: 'engineering',
    message: '{name}: tank level {value} %',
  }),
});
