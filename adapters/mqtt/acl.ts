import type { DeviceKind } from '../../gateway/types.ts';
import type { MqttUser } from './config.ts';
import { compileFilter, filterCovers, parseDeviceTopic } from './topics.ts';

/** Who a connected client is, decided once at CONNECT. */
export type Identity =
  | { type: 'device'; deviceId: string; site: string; kind: DeviceKind; root: string }
  | {
      type: 'user';
      username: string;
      publish: readonly string[];
      subscribe: readonly string[];
      /** `publish` compiled once: checked on every message. */
      canPublishTo: (topic: string) => boolean;
    }
  | { type: 'anonymous' };

export type PublishVerdict =
  | { allow: true }
  /** refused outright: the client is disconnected */
  | { allow: false; reason: 'wrong_sender' | 'unauthorized'; detail: string };

/**
 * The topic ACL of DESIGN.md. A device publishes only under its own `{prefix}/{site}/{kind}/{id}/`
 * and subscribes only to its own `…/cmd/#`; users get their configured filters; anonymous
 * clients (when allowed at all) may publish device topics and subscribe under the prefix.
 */
export function canPublish(identity: Identity, topic: string, prefix: string): PublishVerdict {
  if (topic.startsWith('$'))
    return { allow: false, reason: 'unauthorized', detail: 'publishing to $ topics is not allowed' };
  switch (identity.type) {
    case 'device': {
      if (topic.startsWith(identity.root + '/')) return { allow: true };
      const parsed = parseDeviceTopic(prefix, topic);
      const detail = parsed
        ? `device ${identity.deviceId} published as ${parsed.deviceId}`
        : `device ${identity.deviceId} may only publish under ${identity.root}/`;
      return { allow: false, reason: 'wrong_sender', detail };
    }
    case 'user':
      if (identity.canPublishTo(topic)) return { allow: true };
      return {
        allow: false,
        reason: 'unauthorized',
        detail: `user ${identity.username} may not publish to ${topic}`,
      };
    case 'anonymous':
      if (topic.startsWith(prefix + '/')) return { allow: true };
      return {
        allow: false,
        reason: 'unauthorized',
        detail: `anonymous clients may only publish under ${prefix}/`,
      };
  }
}

export function canSubscribe(identity: Identity, filter: string, prefix: string): boolean {
  switch (identity.type) {
    case 'device':
      return filterCovers(`${identity.root}/cmd/#`, filter);
    case 'user':
      return identity.subscribe.some((allowed) => filterCovers(allowed, filter));
    case 'anonymous':
      return filterCovers(`${prefix}/#`, filter);
  }
}

export function userIdentity(user: MqttUser): Identity {
  const matchers = user.publish.map(compileFilter);
  return {
    type: 'user',
    username: user.username,
    publish: user.publish,
    subscribe: user.subscribe,
    canPublishTo: (topic) => matchers.some((match) => match(topic)),
  };
}
