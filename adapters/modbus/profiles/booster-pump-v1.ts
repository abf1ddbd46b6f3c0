import type { RegisterMapInput } from '../register-map.ts';

/**
 * A domestic water booster set's VFD controller, one unit id per pump. Measurements are input
 * registers (floats big-endian, ABCD), the pressure set point a holding register, the remote
 * enable a coil, the suction pressure switch a discrete input: 16 points in 4 requests.
 *
 * | table    | address | field                   | type            |
 * |----------|---------|-------------------------|-----------------|
 * | input    | 0-1     | outlet_pressure_bar     | float32         |
 * | input    | 2-3     | inlet_pressure_bar      | float32         |
 * | input    | 4-5     | flow_m3h                | float32         |
 * | input    | 6       | motor_current_a         | uint16 × 0.01   |
 * | input    | 7       | frequency_hz            | uint16 × 0.1    |
 * | input    | 8       | motor_temp_c            | int16 × 0.1     |
 * | input    | 9       | running (bit 0), tripped (bit 1) of the status word |
 * | input    | 10      | fault_code              | uint16 (0 none, 21 overcurrent) |
 * | input    | 11-12   | energy_kwh              | uint32 × 0.1    |
 * | holding  | 0       | pressure_setpoint_bar   | uint16 × 0.01   |
 * | coil     | 0       | remote_enabled          | bool            |
 * | discrete | 0       | low_suction             | bool            |
 */
export const boosterPumpV1 = {
  description: 'Booster set VFD controller (one unit per pump): pressures, flow, drive and status',
  registers: [
    { field: 'outlet_pressure_bar', table: 'input', address: 0, type: 'float32', byteOrder: 'ABCD' },
    { field: 'inlet_pressure_bar', table: 'input', address: 2, type: 'float32', byteOrder: 'ABCD' },
    { field: 'flow_m3h', table: 'input', address: 4, type: 'float32', byteOrder: 'ABCD' },
    { field: 'motor_current_a', table: 'input', address: 6, type: 'uint16', scale: 0.01 },
    { field: 'frequency_hz', table: 'input', address: 7, type: 'uint16', scale: 0.1 },
    { field: 'motor_temp_c', table: 'input', address: 8, type: 'int16', scale: 0.1, min: -40, max: 200 },
    { field: 'running', table: 'input', address: 9, type: 'bool', bit: 0 },
    { field: 'tripped', table: 'input', address: 9, type: 'bool', bit: 1 },
    { field: 'fault_code', table: 'input', address: 10, type: 'uint16' },
    { field: 'energy_kwh', table: 'input', address: 11, type: 'uint32', byteOrder: 'ABCD', scale: 0.1 },
    { field: 'pressure_setpoint_bar', table: 'holding', address: 0, type: 'uint16', scale: 0.01 },
    { field: 'remote_enabled', table: 'coil', address: 0 },
    { field: 'low_suction', table: 'discrete', address: 0 },
  ],
} satisfies { description: string; registers: RegisterMapInput };
