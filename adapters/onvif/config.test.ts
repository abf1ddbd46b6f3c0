import { describe, expect, it } from 'vitest';
import { onvifConfigSchema } from './config.ts';

const minimal = { xaddr: 'http://192.168.1.20/onvif/device_service', username: 'admin', password: 'pw' };

describe('onvif config section', () => {
  it('fills in the documented defaults', () => {
    expect(onvifConfigSchema.parse(minimal)).toEqual({
      ...minimal,
      healthMs: 10_000,
      failuresBeforeOffline: 3,
      timeoutMs: 5_000,
      healthSnapshot: true,
      events: true,
      pullTimeoutMs: 10_000,
      subscriptionTtlMs: 60_000,
    });
  });

  it('accepts durations written as text', () => {
    const c = onvifConfigSchema.parse({
      ...minimal,
      healthMs: '30s',
      timeoutMs: '1500ms',
      subscriptionTtlMs: '2m',
    });
    expect([c.healthMs, c.timeoutMs, c.subscriptionTtlMs]).toEqual([30_000, 1500, 120_000]);
  });

  it('refuses a hashed password, a non-HTTP address, unknown keys and a TTL shorter than a pull', () => {
    const problems = (input: object): string[] => {
      const result = onvifConfigSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ ...minimal, password: 'scrypt$abc' })).toEqual([
      expect.stringMatching(/^password: .*plain/),
    ]);
    expect(problems({ ...minimal, xaddr: 'rtsp://10.0.0.1/' })).toEqual([expect.stringMatching(/^xaddr: /)]);
    expect(problems({ ...minimal, pasword: 'x' })).toHaveLength(1);
    expect(problems({ ...minimal, pullTimeoutMs: 10_000, subscriptionTtlMs: 5_000 })).toEqual([
      expect.stringMatching(/^subscriptionTtlMs: /),
    ]);
    expect(problems({ ...minimal, healthMs: 10 })).toEqual([
      expect.stringMatching(/^healthMs: .*at least 100/),
    ]);
  });
});
