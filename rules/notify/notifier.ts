import { alertTopic } from '../../adapters/mqtt/topics.ts';
import type { AckLinks } from '../ack-link.ts';
import { isOpen, type Alert } from '../lifecycle.ts';
import type { NotifyConfig, NotifyEvent } from '../schema/notify.ts';
import type { Rule } from '../schema/rule.ts';
import type { NewOutboxEntry } from '../store/outbox-store.ts';
import { webhookBody, type AlertMessage } from './message.ts';
import { routeNotification } from './router.ts';
import type { OutboxPayload } from './senders.ts';

export interface NotifierOptions {
  notify: NotifyConfig;
  links: AckLinks;
  /** MQTT topic root (`cg`). */
  prefix: string;
}

/**
 * Turns an alert transition into outbox entries, one per routed channel, each rendered in full
 * (ack link included) at the moment of the transition: what is queued is exactly what is sent,
 * however late the channel takes it.
 */
export class Notifier {
  readonly #o: NotifierOptions;
  #baseUrl: string | undefined;

  constructor(options: NotifierOptions) {
    this.#o = options;
    this.#baseUrl = options.notify.publicUrl;
  }

  get config(): NotifyConfig {
    return this.#o.notify;
  }

  /** The gateway's own address, once HTTP listens; `notify.publicUrl` wins over it. */
  setBaseUrl(url: string | undefined): void {
    this.#baseUrl = this.#o.notify.publicUrl ?? url;
  }

  get baseUrl(): string | undefined {
    return this.#baseUrl;
  }

  entries(
    alert: Alert,
    event: NotifyEvent,
    rule: Pick<Rule, 'escalateTo' | 'flapWindowMs'>,
    now: number,
    hasCameras: boolean,
  ): NewOutboxEntry[] {
    const team = event === 'escalated' ? (rule.escalateTo ?? alert.team) : alert.team;
    const targets = routeNotification(this.#o.notify, { team, severity: alert.severity, event }, now);
    // A resolution the condition made by itself waits out the flap window: if it fires again in
    // that time, the notice is cancelled and the technician hears nothing of the flapping.
    const notBefore = event === 'resolved' && alert.resolvedBy === null ? now + rule.flapWindowMs : now;
    const base = this.#baseUrl;
    return targets.map(({ channel, suppressed }) => {
      const message: AlertMessage = {
        ...alert,
        event,
        ackUrl:
          base && isOpen(alert) && alert.state === 'active'
            ? this.#o.links.url(base, alert.id, channel.id, now)
            : null,
        snapshotUrl:
          base && hasCameras ? `${base.replace(/\/+$/, '')}/api/alerts/${alert.id}/snapshot` : null,
      };
      const payload: OutboxPayload =
        channel.type === 'mqtt'
          ? { topic: alertTopic(this.#o.prefix, alert.site, alert.device), body: JSON.stringify(message) }
          : { body: JSON.stringify(webhookBody(channel.preset, message, this.#o.notify.timeZone)) };
      return {
        alertId: alert.id,
        seq: alert.seq,
        event,
        channel: channel.id,
        payload: JSON.stringify(payload),
        state: suppressed ? 'suppressed' : 'pending',
        createdAt: now,
        notBefore,
      };
    });
  }
}
