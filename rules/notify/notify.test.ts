import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../gateway/errors.ts';
import { WebhookReceiver } from '../../simulators/webhook-receiver.ts';
import type { Alert } from '../lifecycle.ts';
import { notifySchema } from '../schema/notify.ts';
import type { OutboxEntry } from '../store/outbox-store.ts';
import { webhookBody, type AlertMessage } from './message.ts';
import { inQuietHours, localClock, routeNotification } from './router.ts';
import { signBody, webhookSender } from './senders.ts';

const T = Date.UTC(2024, 4, 3, 15, 30); // Friday 23:30 in Shanghai
const alert: Alert = {
  id: 'a1',
  rule: 'pump-low-pressure',
  device: 'pump-1',
  deviceName: '2号楼加压泵',
  site: 'garden-court',
  kind: 'pump',
  severity: 'major',
  team: 'engineering',
  message: '2号楼加压泵: outlet pressure 1.3 bar while running',
  state: 'active',
  startedAt: T,
  ackedAt: null,
  ackedBy: null,
  resolvedAt: null,
  resolvedBy: null,
  escalatedAt: null,
  field: 'outlet_pressure_bar',
  value: 1.3,
  trigger: { type: 'time', ts: T },
  count: 1,
  lastFiredAt: T,
  manual: false,
  snapshots: [],
  seq: 1,
};
const message: AlertMessage = {
  ...alert,
  event: 'fired',
  ackUrl: 'http://gw/api/alerts/a1/ack-link?token=t',
  snapshotUrl: null,
};

describe('routing and quiet hours', () => {
  const notify = notifySchema.parse({
    timeZone: 'Asia/Shanghai',
    channels: [
      {
        id: 'chat',
        type: 'webhook',
        url: 'http://127.0.0.1:9/x',
        quiet: [{ from: '22:00', to: '07:00', allow: ['critical'] }],
      },
      { id: 'topic', type: 'mqtt' },
      { id: 'managers', type: 'mqtt' },
    ],
    routes: [
      { team: ['engineering', 'elevator'], channels: ['chat', 'topic'] },
      { severity: 'critical', channels: ['managers'] },
      { team: 'engineering', events: ['escalated'], channels: ['managers'] },
    ],
  });

  it('sends to the channels of every matching route, once each, quiet ones marked', () => {
    const targets = (team: string, severity: 'critical' | 'major', event: 'fired' | 'escalated', at = T) =>
      routeNotification(notify, { team, severity, event }, at).map(
        (t) => `${t.channel.id}${t.suppressed ? '(quiet)' : ''}`,
      );
    expect(targets('engineering', 'major', 'fired')).toEqual(['chat(quiet)', 'topic']);
    expect(targets('engineering', 'critical', 'fired')).toEqual(['chat', 'topic', 'managers']);
    expect(targets('engineering', 'major', 'escalated')).toEqual(['chat(quiet)', 'topic', 'managers']);
    expect(targets('security', 'major', 'fired')).toEqual([]);
    expect(targets('engineering', 'major', 'fired', T - 2 * 3600_000)).toEqual(['chat', 'topic']);
  });

  it('reads quiet hours in the configured zone, across midnight, on the days given', () => {
    const fridayNight = localClock(T, 'Asia/Shanghai');
    expect(fridayNight).toEqual({ minutes: 23 * 60 + 30, weekday: 5 });
    const q = { from: 22 * 60, to: 7 * 60, days: ['fri' as const], allow: [] };
    expect(inQuietHours(q, fridayNight)).toBe(true);
    expect(inQuietHours(q, { minutes: 6 * 60, weekday: 6 })).toBe(true); // Saturday 06:00, Friday's night
    expect(inQuietHours(q, { minutes: 6 * 60, weekday: 5 })).toBe(false); // Friday 06:00 is Thursday's night
    expect(inQuietHours({ ...q, days: undefined }, { minutes: 7 * 60, weekday: 1 })).toBe(false);
  });
});

describe('webhook presets', () => {
  it('json is the alert message itself', () => {
    expect(webhookBody('json', message)).toBe(message);
  });

  it('wecom and dingtalk are group-robot markdown with the ack link; slack is text and blocks', () => {
    const wecom = webhookBody('wecom', message, 'Asia/Shanghai') as {
      msgtype: string;
      markdown: { content: string };
    };
    expect(wecom.msgtype).toBe('markdown');
    expect(wecom.markdown.content).toContain('[重要 major] 告警 alert');
    expect(wecom.markdown.content).toContain('since 2024-05-03 23:30:00');
    expect(wecom.markdown.content).toContain('[确认 Acknowledge](http://gw/api/alerts/a1/ack-link?token=t)');
    const ding = webhookBody('dingtalk', {
      ...message,
      event: 'acknowledged',
      ackedBy: 'duty',
      ackUrl: null,
    }) as {
      msgtype: string;
      markdown: { title: string; text: string };
    };
    expect(ding.msgtype).toBe('markdown');
    expect(ding.markdown.title).toContain('已确认 acknowledged by duty');
    expect(ding.markdown.text).not.toContain('Acknowledge](');
    const slack = webhookBody('slack', message) as { text: string; blocks: unknown[] };
    expect(slack.text).toContain('<http://gw/api/alerts/a1/ack-link?token=t|Acknowledge 确认>');
    expect(slack.blocks).toHaveLength(1);
  });
});

describe('the webhook sender', () => {
  let receiver: WebhookReceiver;
  afterEach(() => receiver?.stop());
  const entry = (payload: unknown): OutboxEntry => ({
    id: 1,
    alertId: 'a1',
    seq: 1,
    event: 'fired',
    channel: 'chat',
    payload: JSON.stringify({ body: JSON.stringify(payload) }),
    state: 'pending',
    createdAt: T,
    notBefore: T,
    nextAt: T,
    attempts: 0,
    lastError: null,
    sentAt: null,
  });
  const channel = (url: string, preset: 'json' | 'dingtalk' = 'json') =>
    notifySchema.parse({ channels: [{ id: 'chat', type: 'webhook', url, secret: 'k', preset }] })
      .channels[0] as Extract<ReturnType<typeof notifySchema.parse>['channels'][number], { type: 'webhook' }>;

  it('signs the exact body it posts; DingTalk also gets its timestamp and sign', async () => {
    receiver = new WebhookReceiver({ secret: 'k' });
    await receiver.start();
    await webhookSender(channel(receiver.url), () => T).send(entry({ hello: '世界' }));
    const hook = receiver.received[0]!;
    expect(hook.signatureOk).toBe(true);
    expect(hook.headers['x-cgw-signature']).toBe(signBody('k', hook.body));
    expect(hook.headers['x-cgw-delivery']).toBe('a1.1.chat');
    await webhookSender(channel(receiver.url + '?access_token=abc', 'dingtalk'), () => T).send(entry({}));
    const q = new URL(receiver.received[1]!.path, 'http://x').searchParams;
    expect(q.get('access_token')).toBe('abc');
    expect(q.get('timestamp')).toBe(String(T));
    expect(q.get('sign')).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('says whether to try again: refused connection and 5xx yes, 4xx no', async () => {
    receiver = new WebhookReceiver();
    await receiver.start();
    const send = () => webhookSender(channel(receiver.url), () => T).send(entry({}));
    receiver.failWith = 503;
    await expect(send()).rejects.toSatisfy((e) => isGatewayError(e, 'CGW_RULE_NOTIFY_FAILED'));
    receiver.failWith = 404;
    await expect(send()).rejects.toSatisfy((e) => isGatewayError(e, 'CGW_RULE_NOTIFY_REFUSED'));
    await expect(webhookSender(channel('https://…'), () => T).send(entry({}))).rejects.toSatisfy(
      (e) => isGatewayError(e, 'CGW_RULE_NOTIFY_REFUSED') && /not a URL/.test(e.message),
    );
    const url = receiver.url;
    await receiver.stop();
    await expect(webhookSender(channel(url), () => T).send(entry({}))).rejects.toSatisfy(
      (e) => isGatewayError(e, 'CGW_RULE_NOTIFY_FAILED') && e.isTransient(),
    );
  });
});
