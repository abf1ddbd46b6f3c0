import { z } from 'zod';
import { defineTemplate } from './define.ts';

/** A camera covered, turned away or blinded: its `tamper` or `video.loss` event. */
export const cameraTamper = defineTemplate({
  name: 'camera-tamper',
  description: 'tamper or video.loss event from a camera',
  params: z.strictObject({
    events: z.array(z.string().min(1)).min(1).default(['tamper', 'video.loss']),
  }),
  build: (p) => ({
    match: { kind: 'camera' },
    when: { event: p.events },
    severity: 'major',
    team: 'security',
    message: '{name}: camera tampered with ({value})',
  }),
});
