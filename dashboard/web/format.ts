import { t } from './i18n.ts';
import type { Device, FieldState, Scalar } from './types.ts';

export function formatValue(value: Scalar | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  return value;
}

export function valueOf(device: Device, field: string): Scalar | null {
  return (device.values[field] as FieldState | undefined)?.value ?? null;
}

export function onlineClass(online: boolean | null): string {
  return online === true ? 'up' : online === false ? 'down' : 'unknown';
}

export function onlineLabel(online: boolean | null): string {
  return online === true ? t('online') : online === false ? t('offline') : t('unknown');
}

export function buildingOf(device: Device): string {
  return device.labels.building ?? device.site;
}
