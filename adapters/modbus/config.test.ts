import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../gateway/config/load.ts';
import { configJsonSchema } from '../../gateway/config/schema.ts';
import { endpointKey, endpointOf, modbusDeviceSchema, registersOf } from './config.ts';
import { getProfile, PROFILE_NAMES } from './profiles/index.ts';
import { registerMapSchema } from './register-map.ts';

/** Problems `cgw check` would print for a one-pump config with this modbus section. */
function problems(modbus: string): Array<{ path: string; message: string }> {
  const result = parseConfig(
    `devices:\n  - id: p\n    kind: pump\n    protocol: modbus\n    modbus: ${modbus}\n`,
    {},
  );
  return result.ok ? [] : result.problems.map(({ path, message }) => ({ path, message }));
}

describe('modbus device config', () => {
  it('ships valid profiles: booster-pump-v1 and drainage-pump-v1 with a tank level', () => {
    expect(PROFILE_NAMES).toEqual(['booster-pump-v1', 'drainage-pump-v1']);
    const booster = getProfile('booster-pump-v1');
    expect(booster.registers.map((e) => e.field)).toEqual(
      expect.arrayContaining([
        'running',
        'outlet_pressure_bar',
        'inlet_pressure_bar',
        'flow_m3h',
        'fault_code',
      ]),
    );
    const drainage = getProfile('drainage-pump-v1');
    expect(drainage.registers.find((e) => e.field === 'tank_level_pct')).toMatchObject({
      type: 'float32',
      byteOrder: 'CDAB',
    });
  });

  it('accepts the design example: a profile, and an inline map with defaults filled in', () => {
    const section = modbusDeviceSchema.parse({
      host: '127.0.0.1',
      port: 5021,
      unitId: 3,
      registers: [
        { field: 'outlet_pressure_bar', table: 'holding', address: 0, type: 'float32', wordOrder: 'big' },
        { field: 'frequency_hz', table: 'holding', address: 2, type: 'uint16', scale: 0.1 },
        { field: 'running', table: 'coil', address: 0, type: 'bool' },
      ],
    });
    expect(section).toMatchObject({ pollMs: 1000, timeoutMs: 1000, offlineAfterFailures: 3 });
    expect(registersOf(section)[1]).toEqual({
      field: 'frequency_hz',
      table: 'holding',
      address: 2,
      type: 'uint16',
      byteOrder: 'ABCD',
      scale: 0.1,
      offset: 0,
    });
    expect(endpointKey(endpointOf(section))).toBe('tcp://127.0.0.1:5021');
    const byProfile = modbusDeviceSchema.parse({ host: 'h', profile: 'booster-pump-v1' });
    expect(registersOf(byProfile)).toBe(getProfile('booster-pump-v1').registers);
    expect(endpointOf(byProfile)).toEqual({ kind: 'tcp', host: 'h', port: 502 });
  });

  it('maps wordOrder to byte orders and takes a byteOrder as given', () => {
    const map = registerMapSchema.parse([
      { field: 'a', table: 'input', address: 0, type: 'float32', wordOrder: 'little' },
      { field: 'b', table: 'input', address: 2, type: 'int32', byteOrder: 'BADC' },
      { field: 'c', table: 'input', address: 4, type: 'int32' },
      { field: 'd', table: 'input', address: 6, type: 'uint32', wordOrder: 'big', byteOrder: 'ABCD' },
    ]);
    expect(map.map((e) => e.byteOrder)).toEqual(['CDAB', 'BADC', 'ABCD', 'ABCD']);
  });

  it('reports an overlapping map with the path of the entry', () => {
    expect(
      problems(`{ host: 127.0.0.1, registers: [
        { field: a, table: holding, address: 10, type: float32 },
        { field: b, table: holding, address: 11, type: uint16 },
        { field: c, table: input, address: 11, type: uint16 } ] }`),
    ).toEqual([
      { path: 'devices.0.modbus.registers.1.address', message: 'holding 11 overlaps registers.0 ("a")' },
    ]);
  });

  it('reports a map that runs past address 65535 and a field mapped twice, both at once', () => {
    expect(
      problems(`{ host: 127.0.0.1, registers: [
        { field: a, table: input, address: 65535, type: int32 },
        { field: a, table: coil, address: 0 } ] }`),
    ).toEqual([
      {
        path: 'devices.0.modbus.registers.0.address',
        message: 'int32 at 65535 runs past the last address (65535)',
      },
      { path: 'devices.0.modbus.registers.1.field', message: 'field "a" is already mapped at registers.0' },
    ]);
  });

  it('lets bits of one register go to several fields, but not one bit twice', () => {
    const ok = registerMapSchema.safeParse([
      { field: 'running', table: 'input', address: 9, bit: 0 },
      { field: 'tripped', table: 'input', address: 9, bit: 1 },
    ]);
    expect(ok.success).toBe(true);
    expect(
      problems(`{ host: h, registers: [
        { field: a, table: input, address: 9, bit: 3 },
        { field: b, table: input, address: 9, bit: 3 },
        { field: c, table: input, address: 9, type: uint16 } ] }`).map((p) => p.path + ': ' + p.message),
    ).toEqual([
      'devices.0.modbus.registers.1.address: bit 3 of input 9 overlaps registers.0 ("a")',
      'devices.0.modbus.registers.2.address: input 9 overlaps registers.0 ("a")',
    ]);
  });

  it('refuses types that make no sense for the table, contradicting orders, and scaled bools', () => {
    const found = problems(`{ host: h, registers: [
      { field: a, table: coil, address: 0, type: uint16 },
      { field: b, table: discrete, address: 0, bit: 2 },
      { field: c, table: holding, address: 0, type: float32, wordOrder: little, byteOrder: ABCD },
      { field: d, table: holding, address: 2, type: bool, scale: 10 },
      { field: e, table: holding, address: 3, bit: 4, type: int16 },
      { field: f, table: holding, address: 4, scale: 0 } ] }`).map((p) => p.path);
    expect(found).toEqual([
      'devices.0.modbus.registers.0.type',
      'devices.0.modbus.registers.1.bit',
      'devices.0.modbus.registers.2.byteOrder',
      'devices.0.modbus.registers.3.scale',
      'devices.0.modbus.registers.4.type',
      'devices.0.modbus.registers.5.scale',
    ]);
  });

  it('wants one of host and serial, one of profile and registers, and a known profile', () => {
    expect(problems('{ profile: booster-pump-v1 }')[0]?.path).toBe('devices.0.modbus');
    expect(problems('{ host: h, serial: { path: /dev/ttyS0 }, profile: booster-pump-v1 }')[0]?.path).toBe(
      'devices.0.modbus',
    );
    expect(problems('{ host: h }')[0]?.message).toMatch(/profile or a registers map/);
    expect(problems('{ host: h, profile: pump-9000 }')[0]?.path).toBe('devices.0.modbus.profile');
    expect(
      problems('{ serial: { path: /dev/ttyS0 }, port: 502, unitId: 0, profile: booster-pump-v1 }'),
    ).toEqual([
      { path: 'devices.0.modbus.port', message: 'port is for Modbus TCP, not a serial line' },
      { path: 'devices.0.modbus.unitId', message: 'a unit on a serial line has id 1-247' },
    ]);
  });

  it('takes a serial line for Modbus RTU with serial defaults', () => {
    const section = modbusDeviceSchema.parse({
      serial: { path: '/dev/ttyUSB0' },
      unitId: 7,
      profile: 'drainage-pump-v1',
    });
    expect(endpointOf(section)).toEqual({
      kind: 'rtu',
      path: '/dev/ttyUSB0',
      baudRate: 9600,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
    });
    expect(endpointKey(endpointOf(section))).toBe('rtu:///dev/ttyUSB0');
  });

  it('still yields a JSON Schema for editors, listing the profiles', () => {
    expect(JSON.stringify(configJsonSchema())).toContain('drainage-pump-v1');
  });
});
