import { createHmac } from 'node:crypto';
import { GatewayError, errorMessage } from '../../gateway/errors.ts';
import type { ChannelConfig, WebhookChannelConfig } from '../schema/notify.ts';
import type { OutboxEntry } from '../store/outbox-store.ts';

/** Publishes from the gateway to its MQTT broker (the supervisor passes the embedded broker's). */
export type PublishFn = (
  topic: string,
  payload: string | Buffer,
  options: { retain?: boolean; qos?: 0 | 1 },
) => Promise<void>;

/** Delivers one outbox entry. Throws `CGW_RULE_NOTIFY_FAILED` (try again) or `…_REFUSED` (give up). */
export interface ChannelSender {
  send(entry: OutboxEntry): Promise<void>;
}

/** What the outbox keeps for each entry: the exact bytes to send (and the topic, for MQTT). */
export interface OutboxPayload {
  body: string;
  topic?: string;
}

/** `sha256=<hex HMAC-SHA256 of the body>`: what `X-CGW-Signature` carries. */
export function signBody(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** DingTalk robots with 加签 want `timestamp` and `sign` in the query string. */
function dingTalkUrl(url: string, secret: string, now: number): string {
  const sign = createHmac('sha256', secret).update(`${now}\n${secret}`).digest('base64');
  const u = new URL(url);
  u.searchParams.set('timestamp', String(now));
  u.searchParams.set('sign', sign);
  return u.toString();
}

const failed = (channel: string, why: string, cause?: unknown) =>
  new GatewayError('CGW_RULE_NOTIFY_FAILED', `${channel}: ${why}`, { cause, context: { channel } });
const refused = (channel: string, why: string) =>
  new GatewayError('CGW_RULE_NOTIFY_REFUSED', `${channel}: ${why}`, { context: { channel } });

export function webhookSender(c: WebhookChannelConfig, now: () => number): ChannelSender {
  return {
    async send(entry) {
      const { body } = JSON.parse(entry.payload) as OutboxPayload;
      const headers: Record<string, string> = {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'community-gateway',
        'x-cgw-event': entry.event,
        // Lets a receiver drop a repeat after a lost acknowledgement (delivery is at least once).
        'x-cgw-delivery': `${entry.alertId}.${entry.seq}.${entry.channel}`,
      };
      if (c.secret) headers['x-cgw-signature'] = signBody(c.secret, body);
      if (!URL.canParse(c.url)) throw refused(c.id, `"${c.url}" is not a URL`);
      const url = c.preset === 'dingtalk' && c.secret ? dingTalkUrl(c.url, c.secret, now()) : c.url;
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(c.timeout) });
      } catch (err) {
        throw failed(c.id, errorMessage((err as { cause?: unknown }).cause ?? err), err);
      }
      const text = await res.text().catch(() => '');
      if (res.status === 408 || res.status === 429 || res.status >= 500)
        throw failed(c.id, `HTTP ${res.status}`);
      if (res.status >= 400) throw refused(c.id, `HTTP ${res.status} ${text.slice(0, 200)}`);
      if (c.preset === 'wecom' || c.preset === 'dingtalk') {
        // Chat robots answer 200 with an error code in the body (rate limit, keyword, bad key).
        let answer: { errcode?: unknown; errmsg?: unknown } = {};
        try {
          answer = JSON.parse(text) as typeof answer;
        } catch {
          /* not JSON: a proxy's page; the status was fine, take it as delivered */
        }
        if (typeof answer.errcode === 'number' && answer.errcode !== 0)
          throw failed(c.id, `robot error ${answer.errcode}: ${String(answer.errmsg ?? '').slice(0, 200)}`);
      }
    },
  };
}

export function mqttSender(id: string, publish: PublishFn | undefined): ChannelSender {
  return {
    async send(entry) {
      if (!publish) throw refused(id, 'no MQTT broker to publish to');
      const { body, topic } = JSON.parse(entry.payload) as OutboxPayload;
      if (!topic) throw refused(id, 'no topic');
      try {
        await publish(topic, body, { qos: 1, retain: false });
      } catch (err) {
        throw failed(id, errorMessage(err), err);
      }
    },
  };
}

export function createSender(
  c: ChannelConfig,
  deps: { publish?: PublishFn; now: () => number },
): ChannelSender {
  return c.type === 'webhook' ? webhookSender(c, deps.now) : mqttSender(c.id, deps.publish);
}
