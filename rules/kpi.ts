import type { DeviceKind } from '../gateway/types.ts';
import type { Alert } from './lifecycle.ts';

/** Response times of one group of alerts (milliseconds). */
export interface ResponseStats {
  count: number;
  acknowledged: number;
  resolved: number;
  /** null when none was acknowledged / resolved */
  meanTimeToAckMs: number | null;
  p90TimeToAckMs: number | null;
  meanTimeToResolveMs: number | null;
  p90TimeToResolveMs: number | null;
}

export interface DeviceAvailability {
  device: string;
  kind: DeviceKind;
  /** online time / time with a known state; null when the state was never known in the period */
  availability: number | null;
  onlineMs: number;
  offlineMs: number;
}

export interface Kpi {
  from: number;
  to: number;
  alerts: ResponseStats;
  byTeam: Record<string, ResponseStats>;
  bySeverity: Record<string, ResponseStats>;
  /** Mean of the devices' availabilities (devices with a known state only). */
  availability: number | null;
  devices: DeviceAvailability[];
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const mean = (xs: readonly number[]): number | null =>
  xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null;

export function responseStats(alerts: readonly Alert[]): ResponseStats {
  const ack = alerts
    .filter((a) => a.ackedAt !== null)
    .map((a) => a.ackedAt! - a.startedAt)
    .sort((a, b) => a - b);
  const res = alerts
    .filter((a) => a.resolvedAt !== null && a.state === 'resolved')
    .map((a) => a.resolvedAt! - a.startedAt)
    .sort((a, b) => a - b);
  return {
    count: alerts.length,
    acknowledged: ack.length,
    resolved: res.length,
    meanTimeToAckMs: mean(ack),
    p90TimeToAckMs: percentile(ack, 90),
    meanTimeToResolveMs: mean(res),
    p90TimeToResolveMs: percentile(res, 90),
  };
}

function groupBy(alerts: readonly Alert[], key: (a: Alert) => string): Record<string, ResponseStats> {
  const groups = new Map<string, Alert[]>();
  for (const a of alerts) {
    const k = key(a);
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => [k, responseStats(g)]),
  );
}

/**
 * Availability over [from, to) from the online changes: each device's state before `from` (if
 * known) carries into the period; time before a device's state is first known does not count.
 */
export function availability(
  devices: ReadonlyArray<{ id: string; kind: DeviceKind }>,
  changes: ReadonlyArray<{ device: string; ts: number; online: boolean }>,
  from: number,
  to: number,
): DeviceAvailability[] {
  const byDevice = new Map<string, Array<{ ts: number; online: boolean }>>();
  for (const c of changes) byDevice.set(c.device, [...(byDevice.get(c.device) ?? []), c]);
  return devices.map(({ id, kind }) => {
    const list = (byDevice.get(id) ?? []).sort((a, b) => a.ts - b.ts);
    let onlineMs = 0;
    let offlineMs = 0;
    list.forEach((c, i) => {
      const start = Math.max(from, c.ts);
      const end = Math.min(to, list[i + 1]?.ts ?? to);
      if (end <= start) return;
      if (c.online) onlineMs += end - start;
      else offlineMs += end - start;
    });
    const known = onlineMs + offlineMs;
    return { device: id, kind, availability: known ? onlineMs / known : null, onlineMs, offlineMs };
  });
}

/** Alert counts and response times (alerts that started in [from, to)), by team and severity. */
export function computeKpi(
  alerts: readonly Alert[],
  devices: DeviceAvailability[],
  from: number,
  to: number,
): Kpi {
  const known = devices.filter((d) => d.availability !== null);
  return {
    from,
    to,
    alerts: responseStats(alerts),
    byTeam: groupBy(alerts, (a) => a.team),
    bySeverity: groupBy(alerts, (a) => a.severity),
    availability: known.length ? known.reduce((s, d) => s + d.availability!, 0) / known.length : null,
    devices,
  };
}
