import type { DeviceEvent, Scalar } from '../../gateway/types.ts';
import type { Notification } from './messages.ts';

/** The camera events of DESIGN.md's device table. */
export type CameraEventType = 'motion' | 'tamper' | 'video.loss';

interface TopicRule {
  type: CameraEventType;
  topic: RegExp;
  /** Data items carrying the state, most specific first. */
  items: readonly string[];
}

/**
 * Vendors spell the same alarm differently: the ONVIF rule-engine topics, the older VideoSource
 * alarms, and vendor topics that keep the ONVIF words. Order matters: the first rule that matches wins.
 */
const RULES: readonly TopicRule[] = [
  {
    type: 'tamper',
    topic: /tamper|GlobalSceneChange/i,
    items: ['IsTamper', 'State', 'Tamper', 'IsTampered'],
  },
  {
    type: 'video.loss',
    topic: /SignalLoss|VideoLoss|Signal\/?Lost/i,
    items: ['State', 'IsSignalLoss', 'SignalLoss', 'IsVideoLoss'],
  },
  {
    type: 'motion',
    topic: /motion/i,
    items: ['IsMotion', 'State', 'Motion', 'MotionActive', 'IsMotionActive'],
  },
];

const TRUE = new Set(['true', '1', 'on', 'active']);
const FALSE = new Set(['false', '0', 'off', 'inactive']);

export interface ClassifiedNotification {
  type: CameraEventType;
  /** The alarm state the message reports. */
  active: boolean;
  /** The video source (or rule) it concerns, so two sources of one encoder are kept apart. */
  source: string;
}

/** Maps a notification to a camera event type and state; undefined for topics we do not model. */
export function classifyNotification(n: Notification): ClassifiedNotification | undefined {
  const rule = RULES.find((r) => r.topic.test(n.topic));
  if (!rule) return undefined;
  let active: boolean | undefined;
  for (const name of rule.items) {
    const value = n.data[name]?.trim().toLowerCase();
    if (value !== undefined && (TRUE.has(value) || FALSE.has(value))) {
      active = TRUE.has(value);
      break;
    }
  }
  if (active === undefined) {
    // Some firmwares name the item after themselves: take any boolean item rather than lose the alarm.
    const value = Object.values(n.data)
      .map((v) => v.trim().toLowerCase())
      .find((v) => TRUE.has(v) || FALSE.has(v));
    if (value === undefined) return undefined;
    active = TRUE.has(value);
  }
  const source =
    n.source.VideoSourceConfigurationToken ??
    n.source.VideoSourceToken ??
    n.source.Source ??
    n.source.InputToken ??
    Object.values(n.source)[0] ??
    '';
  return { type: rule.type, active, source };
}

/**
 * Turns alarm states into events: a DeviceEvent when an alarm becomes active, none when it is
 * reported again or ends. Property states are re-sent as `Initialized` on every new subscription
 * (after a camera reboot, a re-created subscription): known states are not events again.
 */
export class AlarmEdges {
  readonly #state = new Map<string, boolean>();

  /**
   * @param toLocalMs camera time → our time (the camera's clock may be hours off).
   * @returns the event to emit, if any.
   */
  accept(
    deviceId: string,
    n: Notification,
    nowMs: number,
    toLocalMs: (cameraMs: number) => number,
  ): DeviceEvent | undefined {
    const c = classifyNotification(n);
    if (!c) return undefined;
    const key = `${c.type}\u0000${c.source}`;
    const before = this.#state.get(key);
    this.#state.set(key, c.active);
    if (!c.active || before === true) return undefined;
    // A camera's own time stamp is kept when it is plausible; a wild one (clock unset) is not trusted.
    const local = n.utcTime !== undefined ? toLocalMs(n.utcTime) : nowMs;
    const ts = Math.abs(local - nowMs) < 5 * 60_000 ? local : nowMs;
    const data: Record<string, Scalar> = { active: true, topic: n.topic };
    if (c.source) data.source = c.source;
    return { deviceId, ts, type: c.type, data };
  }

  /** Forget every state (the camera was replaced, or we lost track long enough to re-learn). */
  clear(): void {
    this.#state.clear();
  }
}
