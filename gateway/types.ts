/**
 * The normalised values every adapter produces and the core consumes. No protocol detail
 * crosses this line: the core never sees a topic, a register or a SOAP envelope.
 */

export const DEVICE_KINDS = ['access', 'camera', 'elevator', 'pump'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export type Scalar = number | boolean | string;

/** Why a value is what it is: `good`, or `missing` when it could not be read (never a fake zero). */
export type Quality = 'good' | 'missing' | 'stale';

/** A set of telemetry values taken at one instant. */
export interface Reading {
  deviceId: string;
  /** epoch milliseconds */
  ts: number;
  values: Record<string, Scalar>;
  /** Per-field quality; a field absent here is `good`. */
  quality?: Record<string, Quality>;
}

/** Something that happened on a device (`door.forced`, `elevator.entrapment`, …). */
export interface DeviceEvent {
  deviceId: string;
  ts: number;
  type: string;
  data: Record<string, Scalar>;
}

/** The device's connectivity as its adapter or the registry sees it. */
export interface Status {
  deviceId: string;
  ts: number;
  online: boolean;
  /** Why: `status message`, `last will`, `silent for 120 s`, `timeout` … */
  reason: string;
}

/** Takes a JPEG snapshot from a camera now (the ONVIF adapter implements it). */
export interface SnapshotSource {
  /** Rejects with a GatewayError (`CGW_NOT_FOUND` for a device that is not a camera). */
  snapshot(deviceId: string): Promise<Buffer>;
}
