import type { ChannelConfig, NotifyConfig, NotifyEvent, QuietRule } from '../schema/notify.ts';
import { WEEKDAYS } from '../schema/notify.ts';
import type { Severity } from '../schema/rule.ts';

export interface RouteTarget {
  channel: ChannelConfig;
  /** Inside the channel's quiet hours for this severity: recorded, not sent. */
  suppressed: boolean;
}

/**
 * The channels one notification goes to: every channel of every route whose team, severity and
 * event match, each once, in the order the channels are configured.
 */
export function routeNotification(
  notify: NotifyConfig,
  n: { team: string; severity: Severity; event: NotifyEvent },
  now: number,
): RouteTarget[] {
  const wanted = new Set<string>();
  for (const route of notify.routes) {
    if (route.team && !route.team.includes(n.team)) continue;
    if (route.severity && !route.severity.includes(n.severity)) continue;
    if (route.events && !route.events.includes(n.event)) continue;
    for (const c of route.channels) wanted.add(c);
  }
  const targets = notify.channels.filter((c) => wanted.has(c.id));
  // Reading the local time costs more than the rest of the routing: only for quiet hours.
  const clock = targets.some((c) => c.quiet.length) ? localClock(now, notify.timeZone) : undefined;
  return targets.map((channel) => ({
    channel,
    suppressed: channel.quiet.some((q) => inQuietHours(q, clock!) && !q.allow.includes(n.severity)),
  }));
}

export interface LocalClock {
  /** minutes since local midnight */
  minutes: number;
  /** 0 = Sunday */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time and weekday at `now` in `timeZone` (default: the system's). */
export function localClock(now: number, timeZone: string | undefined): LocalClock {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(key, f);
  }
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]));
  const weekday = WEEKDAYS.indexOf(
    String(parts.weekday).toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number],
  );
  return { minutes: Number(parts.hour) * 60 + Number(parts.minute), weekday: Math.max(0, weekday) };
}

/**
 * True inside [from, to). A window over midnight (22:00-07:00) belongs to the day it starts on:
 * `days: [fri]` covers Friday 22:00 to Saturday 07:00.
 */
export function inQuietHours(q: QuietRule, clock: LocalClock): boolean {
  const dayOk = (d: number) => !q.days || q.days.includes(WEEKDAYS[(d + 7) % 7]!);
  if (q.from === q.to) return dayOk(clock.weekday);
  if (q.from < q.to) return clock.minutes >= q.from && clock.minutes < q.to && dayOk(clock.weekday);
  if (clock.minutes >= q.from) return dayOk(clock.weekday);
  return clock.minutes < q.to && dayOk(clock.weekday - 1);
}
