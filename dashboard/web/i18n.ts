import { en, type MessageKey } from './i18n/en.ts';
import { zhCN } from './i18n/zh-CN.ts';

export type Lang = 'en' | 'zh-CN';
const DICTIONARIES = { en, 'zh-CN': zhCN } as const;
const STORAGE_KEY = 'cgw.lang';

/** The operator's choice, else the browser's language (zh-* → Chinese). */
export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current: Lang = initialLang();

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

export function t(key: MessageKey): string {
  return DICTIONARIES[current][key];
}

/** "12 s", "3 min", "2 h 5 min" in the current language. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} ${t('secondsShort')}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${t('minutesShort')} ${s % 60} ${t('secondsShort')}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} ${t('hoursShort')} ${m % 60} ${t('minutesShort')}`;
  return `${Math.floor(h / 24)} ${t('daysShort')} ${h % 24} ${t('hoursShort')}`;
}

/** The time of day for today, date and time otherwise. */
export function clockTime(ts: number): string {
  const date = new Date(ts);
  return date.toDateString() === new Date().toDateString()
    ? date.toLocaleTimeString(current, { hour12: false })
    : date.toLocaleString(current, { hour12: false });
}

export type { MessageKey };
