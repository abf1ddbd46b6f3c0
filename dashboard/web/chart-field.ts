import type { FieldState } from './types.ts';

/**
 * The field a device's chart shows: the one picked (or first shown) for as long as the device has
 * it, else its first numeric field. A failed read leaves a field's value null for a while (a Modbus
 * request that timed out); the chart stays on it rather than jumping to another field and back.
 */
export function chartField(
  picked: string | undefined,
  values: Record<string, FieldState>,
): string | undefined {
  if (picked !== undefined && picked in values) return picked;
  return Object.keys(values).find((field) => typeof values[field]!.value === 'number');
}
