import type { Alert } from '../lifecycle.ts';
import { formatValue } from '../render.ts';
import type { NotifyEvent, WebhookPreset } from '../schema/notify.ts';

/** What a channel says about one alert transition: the alert object plus the event and links. */
export interface AlertMessage extends Alert {
  event: NotifyEvent;
  /** Signed link that acknowledges without a login; null once the alert is resolved. */
  ackUrl: string | null;
  /** The snapshot from a linked camera (needs a login), when the device has cameras. */
  snapshotUrl: string | null;
}

const SEVERITY_ZH: Record<string, string> = { critical: '紧急', major: '重要', minor: '次要', info: '提示' };
const EVENT_TEXT: Record<NotifyEvent, string> = {
  fired: '告警 alert',
  acknowledged: '已确认 acknowledged',
  resolved: '已恢复 resolved',
  escalated: '升级 escalated: not acknowledged',
};

/** `2024-05-01 20:00:00` in the given zone (the technician's wall clock). */
export function localTime(ts: number, timeZone: string | undefined): string {
  try {
    return new Intl.DateTimeFormat('sv-SE', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).format(ts);
  } catch {
    return new Date(ts).toISOString();
  }
}

interface Lines {
  title: string;
  message: string;
  facts: string;
  when: string;
}

function lines(m: AlertMessage, timeZone: string | undefined): Lines {
  const sev = `${SEVERITY_ZH[m.severity] ?? ''} ${m.severity}`.trim();
  const who =
    m.event === 'acknowledged' && m.ackedBy
      ? ` by ${m.ackedBy}`
      : m.event === 'resolved' && m.resolvedBy
        ? ` by ${m.resolvedBy}`
        : '';
  const value = m.value === null ? '' : ` · ${m.field ?? 'value'} ${formatValue(m.value)}`;
  return {
    title: `[${sev}] ${EVENT_TEXT[m.event]}${who}`,
    message: m.message,
    facts: `${m.deviceName} (${m.device}) · ${m.site} · team ${m.team}${value}${m.count > 1 ? ` · ×${m.count}` : ''}`,
    when: `since ${localTime(m.startedAt, timeZone)}`,
  };
}

/**
 * The HTTP body for a webhook preset: `json` is the alert message itself; `wecom` and `dingtalk`
 * are their group robots' markdown messages; `slack` is `{text, blocks}` (Slack, Mattermost,
 * Rocket.Chat incoming webhooks).
 */
export function webhookBody(preset: WebhookPreset, m: AlertMessage, timeZone?: string): unknown {
  if (preset === 'json') return m;
  const l = lines(m, timeZone);
  if (preset === 'slack') {
    const ack = m.ackUrl ? `\n<${m.ackUrl}|Acknowledge 确认>` : '';
    const text = `*${l.title}*\n${l.message}\n${l.facts}\n${l.when}${ack}`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const ack = m.ackUrl ? `\n\n[确认 Acknowledge](${m.ackUrl})` : '';
  const snapshot = m.snapshotUrl ? `\n[抓拍 Snapshot](${m.snapshotUrl})` : '';
  if (preset === 'wecom') {
    const color = m.event === 'resolved' ? 'info' : m.severity === 'critical' ? 'warning' : 'comment';
    const content = `**<font color="${color}">${l.title}</font>**\n${l.message}\n> ${l.facts}\n> ${l.when}${snapshot}${ack}`;
    return { msgtype: 'markdown', markdown: { content } };
  }
  const text = `### ${l.title}\n\n${l.message}\n\n> ${l.facts}\n\n> ${l.when}${snapshot}${ack}`;
  return { msgtype: 'markdown', markdown: { title: `${l.title} ${m.deviceName}`, text } };
}
