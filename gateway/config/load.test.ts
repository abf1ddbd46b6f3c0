import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './load.ts';

describe('parseConfig', () => {
  it('fills defaults, the device site, and freezes the result', () => {
    const result = parseConfig(
      'site: s1\ndevices:\n  - { id: d, kind: access, protocol: mqtt, password: p, offlineAfter: 90s }\n',
      {},
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.mqtt).toMatchObject({
      port: 1883,
      prefix: 'cg',
      allowAnonymous: false,
      maxPayloadBytes: 65536,
    });
    expect(result.config.devices[0]).toMatchObject({
      site: 's1',
      offlineAfter: 90_000,
      labels: {},
      links: [],
    });
    expect(Object.isFrozen(result.config.devices[0])).toBe(true);
  });

  it('substitutes ${ENV}; a value that is only a reference takes the type it reads as', () => {
    const text =
      'mqtt: { port: ${PORT}, allowAnonymous: ${ANON} }\ndevices:\n  - { id: d, kind: access, protocol: mqtt, password: "pre-${SECRET}" }\n';
    const result = parseConfig(text, { PORT: '2883', ANON: 'true', SECRET: 'xyz' });
    expect(result.ok && result.config.mqtt.port).toBe(2883);
    expect(result.ok && result.config.mqtt.allowAnonymous).toBe(true);
    expect(
      result.ok && result.config.devices[0]?.protocol === 'mqtt' && result.config.devices[0].password,
    ).toBe('pre-xyz');
  });

  it('resolves adjacent references and names with underscores', () => {
    const result = parseConfig('site: "${A_B}${C__D}x"\n', { A_B: 'one', C__D: 'two' });
    expect(result.ok && result.config.site).toBe('onetwox');
  });

  it('never reads an environment value as YAML (no injection through a secret)', () => {
    const result = parseConfig('devices:\n  - { id: d, kind: access, protocol: mqtt, password: "${P}" }\n', {
      P: 'a}, evil: [1',
    });
    expect(
      result.ok && result.config.devices[0]?.protocol === 'mqtt' && result.config.devices[0].password,
    ).toBe('a}, evil: [1');
  });

  it('refuses reserved label names and a modbus device with both a profile and a map', () => {
    const result = parseConfig(
      [
        'devices:',
        '  - { id: d, kind: access, protocol: mqtt, password: p, labels: { site: x } }',
        '  - { id: p, kind: pump, protocol: modbus, modbus: { host: 127.0.0.1, profile: booster-pump-v1, registers: [{ field: running, table: coil, address: 0, type: bool }] } }',
      ].join('\n'),
      {},
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(['devices.0.labels', 'devices.1.modbus']);
    expect(result.problems[0]?.line).toBe(2);
  });

  it('never throws, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const result = parseConfig(text, {});
        if (!result.ok) for (const p of result.problems) expect(p.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on random YAML-shaped documents (property)', () => {
    const value = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));
    const doc = fc.dictionary(
      fc.constantFrom('site', 'mqtt', 'http', 'devices', 'influx', 'store', 'rules', 'x'),
      fc.oneof(
        value,
        fc.array(fc.dictionary(fc.string({ maxLength: 8 }), value)),
        fc.dictionary(fc.string({ maxLength: 8 }), value),
      ),
    );
    fc.assert(
      fc.property(doc, (d) => {
        const result = parseConfig(JSON.stringify(d), {});
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the example config of DESIGN.md', () => {
  it('is valid as written, flow mappings with ${ENV} references included', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../test/fixtures/design-example.yaml', import.meta.url), 'utf8');
    const env = Object.fromEntries(
      [
        'DUTY_APP_PASSWORD',
        'BRIDGE_PASSWORD',
        'DOOR_B1_EAST_PASSWORD',
        'LIFT_PASSWORD',
        'CAM_PASSWORD',
        'WEBHOOK_SECRET',
      ].map((n) => [n, `${n.toLowerCase()}-value`]),
    );
    const result = parseConfig(text, env);
    expect(result.ok ? [] : result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.mqtt.users[0]).toMatchObject({
      username: 'duty-app',
      password: 'duty_app_password-value',
    });
    expect(result.config.devices.map((d) => d.id)).toEqual([
      'door-b1-east',
      'lift-b1-a',
      'pump-1',
      'pump-2',
      'cam-b1-east',
    ]);
  });
});
