import type { RegisterMapInput } from '../register-map.ts';

/**
 * A drainage (sump) pump controller with a tank level sensor: starts on high level, stops on
 * low. This vendor sends 32-bit values word-swapped (CDAB, `wordOrder: little`) and keeps
 * everything in holding registers: 12 points in 3 requests.
 *
 * | table    | address | field             | type                    |
 * |----------|---------|-------------------|-------------------------|
 * | holding  | 0-1     | tank_level_pct    | float32 CDAB            |
 * | holding  | 2-3     | flow_m3h          | float32 CDAB            |
 * | holding  | 4       | motor_current_a   | uint16 × 0.1            |
 * | holding  | 5       | fault_code        | uint16 (0 none, 21 overcurrent) |
 * | holding  | 6-7     | energy_kwh        | uint32 CDAB × 0.1       |
 * | holding  | 8       | motor_temp_c      | int16 × 0.1             |
 * | discrete | 0       | running           | bool                    |
 * | discrete | 1       | high_level_alarm  | bool                    |
 * | coil     | 0       | auto_mode         | bool                    |
 */
export const drainagePumpV1 = {
  description: 'Drainage pump controller with tank level (32-bit values word-swapped)',
  registers: [
    {
      field: 'tank_level_pct',
      table: 'holding',
      address: 0,
      type: 'float32',
      wordOrder: 'little',
      min: -5,
      max: 110,
    },
    { field: 'flow_m3h', table: 'holding', address: 2, type: 'float32', wordOrder: 'little' },
    { field: 'motor_current_a', table: 'holding', address: 4, type: 'uint16', scale: 0.1 },
    { field: 'fault_code', table: 'holding', address: 5, type: 'uint16' },
    { field: 'energy_kwh', table: 'holding', address: 6, type: 'uint32', wordOrder: 'little', scale: 0.1 },
    { field: 'motor_temp_c', table: 'holding', address: 8, type: 'int16', scale: 0.1, min: -40, max: 200 },
    { field: 'running', table: 'discrete', address: 0 },
    { field: 'high_level_alarm', table: 'discrete', address: 1 },
    { field: 'auto_mode', table: 'coil', address: 0 },
  ],
} satisfies { description: string; registers: RegisterMapInput };
