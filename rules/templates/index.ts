import { cameraTamper } from './camera-tamper.ts';
import type { RuleTemplate } from './define.ts';
import { deviceOffline } from './device-offline.ts';
import { doorForced } from './door-forced.ts';
import { doorHeldOpen } from './door-held-open.ts';
import { liftEntrapment } from './lift-entrapment.ts';
import { motorOvercurrent } from './motor-overcurrent.ts';
import { pumpLowPressure } from './pump-low-pressure.ts';
import { tankLevelLow } from './tank-level-low.ts';

export type { RuleTemplate } from './define.ts';

/** Every shipped template by name (an explicit list: no folder scanning). */
export const TEMPLATES: readonly RuleTemplate[] = [
  liftEntrapment,
  doorForced,
  doorHeldOpen,
  pumpLowPressure,
  tankLevelLow,
  motorOvercurrent,
  deviceOffline,
  cameraTamper,
];

export function findTemplate(name: string): RuleTemplate | undefined {
  return TEMPLATES.find((t) => t.name === name);
}

export function templateNames(): string[] {
  return TEMPLATES.map((t) => t.name);
}
