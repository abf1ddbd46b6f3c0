import { DEVICE_KINDS, type DeviceKind } from '../../gateway/types.ts';

export const CHANNELS = ['telemetry', 'event', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A topic of the device scheme `{prefix}/{site}/{kind}/{device}/{channel}`. */
export interface DeviceTopic {
  site: string;
  kind: DeviceKind;
  deviceId: string;
  /** The fifth level as written; only `telemetry`, `event` and `status` carry data. */
  channel: string;
}

/**
 * Splits a device topic. Returns undefined for anything outside the scheme (wrong prefix, wrong
 * number of levels, a kind that is not a device kind).
 */
export function parseDeviceTopic(prefix: string, topic: string): DeviceTopic | undefined {
  if (!topic.startsWith(prefix) || topic.charCodeAt(prefix.length) !== 47 /* / */) return undefined;
  const parts = topic.slice(prefix.length + 1).split('/');
  if (parts.length !== 4) return undefined;
  const [site, kind, deviceId, channel] = parts as [string, string, string, string];
  if (!site || !deviceId || !channel || !(DEVICE_KINDS as readonly string[]).includes(kind)) return undefined;
  return { site, kind: kind as DeviceKind, deviceId, channel };
}

export function isDataChannel(channel: string): channel is Channel {
  return channel === 'telemetry' || channel === 'event' || channel === 'status';
}

/** `{prefix}/{site}/{kind}/{device}` */
export function deviceTopicRoot(prefix: string, site: string, kind: string, deviceId: string): string {
  return `${prefix}/${site}/${kind}/${deviceId}`;
}

export function alertTopic(prefix: string, site: string, deviceId: string): string {
  return `${prefix}/${site}/alerts/${deviceId}`;
}

/** True when a concrete topic matches an MQTT filter with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * A matcher for one filter, built once: a filter without `+` that ends in `/#` (the usual ACL
 * entry) becomes a prefix test instead of a split per message.
 */
export function compileFilter(filter: string): (topic: string) => boolean {
  if (!filter.includes('+') && !filter.startsWith('$')) {
    if (filter === '#') return (topic) => !topic.startsWith('$');
    if (filter.endsWith('/#') && !filter.slice(0, -2).includes('#')) {
      const prefix = filter.slice(0, -1);
      const exact = filter.slice(0, -2);
      return (topic) => topic === exact || topic.startsWith(prefix);
    }
    if (!filter.includes('#')) return (topic) => topic === filter;
  }
  return (topic) => topicMatches(filter, topic);
}

/**
 * True when every topic the `requested` filter can match is also matched by `allowed`: a client
 * granted `cg/+/alerts/#` may subscribe to `cg/site-a/alerts/lift-1` but not to `cg/#`.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  if (requested.startsWith('$') && !allowed.startsWith('$')) return false;
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] !== '+' && (r[i] === '+' || a[i] !== r[i])) return false;
  }
  return a.length === r.length;
}
