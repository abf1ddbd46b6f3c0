import type { Scalar } from '../gateway/types.ts';

/** What a message template can name. */
export interface MessageContext {
  device: string;
  name: string;
  site: string;
  rule: string;
  severity: string;
  team: string;
  field: string | null;
  value: Scalar | null;
  labels: Readonly<Record<string, string>>;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/** A number as a person reads it in a chat message: at most two decimals, no float noise. */
export function formatValue(value: Scalar | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return String(Math.round(value * 100) / 100);
  }
  return String(value);
}

/**
 * Fills `{device}`, `{name}`, `{value}`, `{field}`, `{site}`, `{rule}`, `{severity}`, `{team}`
 * and labels (`{building}` or `{labels.building}`). An unknown name stays as written, so a typo
 * shows in the message instead of vanishing. Never throws.
 */
export function renderMessage(template: string, ctx: MessageContext): string {
  return String(template).replace(PLACEHOLDER, (whole, key: string) => {
    switch (key) {
      case 'device':
      case 'name':
      case 'site':
      case 'rule':
      case 'severity':
      case 'team':
        return String(ctx[key] ?? '');
      case 'field':
        return ctx.field ?? '';
      case 'value':
        return formatValue(ctx.value);
    }
    const label = key.startsWith('labels.') ? key.slice(7) : key;
    const labels = ctx.labels ?? {};
    return Object.prototype.hasOwnProperty.call(labels, label) ? String(labels[label]) : whole;
  });
}
