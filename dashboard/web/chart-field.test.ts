import { describe, expect, it } from 'vitest';
import { chartField } from './chart-field.ts';
import type { FieldState } from './types.ts';

const state = (value: FieldState['value'], quality: FieldState['quality'] = 'good'): FieldState => ({
  value,
  ts: 1_700_000_000_000,
  quality,
});

describe('chartField', () => {
  const values = {
    running: state(true),
    outlet_pressure_bar: state(3.4),
    flow_m3h: state(12),
  };

  it('starts on the first numeric field and keeps the one picked', () => {
    expect(chartField(undefined, values)).toBe('outlet_pressure_bar');
    expect(chartField('flow_m3h', values)).toBe('flow_m3h');
  });

  it('stays on the picked field while a failed read leaves it null', () => {
    const missing = { ...values, flow_m3h: state(null, 'missing') };
    expect(chartField('flow_m3h', missing)).toBe('flow_m3h');
  });

  it('falls back when the device has no such field (another device, a renamed field)', () => {
    expect(chartField('level_pct', values)).toBe('outlet_pressure_bar');
    expect(chartField(undefined, { running: state(true) })).toBeUndefined();
  });
});
