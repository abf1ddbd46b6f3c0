/** The shapes of the API answers the page reads (mirrors dashboard/schemas.ts and routes/alert-schemas.ts). */

export type Scalar = number | boolean | string;
export type DeviceKind = 'access' | 'camera' | 'elevator' | 'pump';
export type Severity = 'critical' | 'major' | 'minor' | 'info';
export type AlertState = 'active' | 'acknowledged' | 'resolved';
export type Role = 'viewer' | 'operator' | 'admin';

export interface FieldState {
  value: Scalar | null;
  ts: number;
  quality: string;
}

export interface Device {
  id: string;
  kind: DeviceKind;
  site: string;
  name: string;
  protocol: string;
  labels: Record<string, string>;
  online: boolean | null;
  reason: string;
  lastSeen: number | null;
  since: number;
  values: Record<string, FieldState>;
}

export interface DeviceDetail extends Device {
  links: { id: string; kind: DeviceKind; name: string; online: boolean | null }[];
  lastEvent: { type: string; ts: number } | null;
}

export interface Alert {
  id: string;
  rule: string;
  device: string;
  deviceName: string;
  kind: DeviceKind;
  severity: Severity;
  team: string;
  message: string;
  state: AlertState;
  startedAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  snapshots: string[];
  seq: number;
}

export interface AlertHistoryEntry {
  ts: number;
  action: 'fired' | 'reopened' | 'acknowledged' | 'resolved' | 'escalated';
  by: string | null;
  note: string | null;
}

export interface AlertDetail extends Alert {
  history: AlertHistoryEntry[];
}

export interface DeviceEvent {
  deviceId: string;
  ts: number;
  type: string;
  data: Record<string, Scalar>;
}

export interface Session {
  username: string;
  role: Role;
}

export interface ResponseStats {
  count: number;
  acknowledged: number;
  resolved: number;
  meanTimeToAckMs: number | null;
  p90TimeToAckMs: number | null;
  meanTimeToResolveMs: number | null;
  p90TimeToResolveMs: number | null;
}

export interface Kpi {
  from: number;
  to: number;
  alerts: ResponseStats;
  byTeam: Record<string, ResponseStats>;
  bySeverity: Record<string, ResponseStats>;
  availability: number | null;
  devices: { device: string; kind: DeviceKind; availability: number | null }[];
}

export interface Series {
  points: { ts: number; value: number | null }[];
}

/** One entry of the SSE `devices` batch. */
export interface DeviceDelta {
  deviceId: string;
  ts: number;
  values?: Record<string, Scalar | FieldState | null>;
  online?: boolean;
  reason?: string;
}
