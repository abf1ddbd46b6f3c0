import type { Clock } from '../../gateway/clock.ts';
import { GatewayError } from '../../gateway/errors.ts';
import type { Logger } from '../../gateway/log.ts';
import type { SnapshotSource } from '../../gateway/types.ts';
import { AdapterEmitter, type Adapter } from '../types.ts';
import { CameraSession, type CameraFacts, type CameraState } from './camera.ts';
import type { OnvifConfig } from './config.ts';
import type { PullPointStats } from './pullpoint.ts';

/** The part of a device config this adapter reads. */
export interface OnvifDevice {
  id: string;
  protocol: string;
  onvif?: OnvifConfig;
}

export interface OnvifAdapterOptions {
  /** Every device of the config; those with `protocol: onvif` are this adapter's cameras. */
  devices: readonly OnvifDevice[];
  log: Logger;
  clock: Clock;
}

/** One camera as the adapter sees it now (for tests, `cgw discover` and diagnostics). */
export interface CameraView {
  state: CameraState;
  reason: string;
  facts: CameraFacts | undefined;
  /** Camera clock minus ours, ms. */
  clockOffsetMs: number;
  events: PullPointStats | undefined;
}

/**
 * ONVIF cameras (DESIGN.md "ONVIF contract"): health on an interval (`online`, `snapshot_ms`),
 * offline after N failures or "up but unauthorised", motion / tamper / video-loss events from a
 * PullPoint subscription, and JPEG snapshots on demand for the dashboard. Each camera runs on its
 * own: a hung or babbling camera delays no other.
 */
export class OnvifAdapter extends AdapterEmitter implements Adapter, SnapshotSource {
  readonly protocol = 'onvif';
  readonly #cameras = new Map<string, CameraSession>();
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: OnvifAdapterOptions) {
    super();
    const log = options.log;
    for (const device of options.devices) {
      if (device.protocol !== 'onvif' || !device.onvif) continue;
      this.#cameras.set(
        device.id,
        new CameraSession({
          deviceId: device.id,
          config: device.onvif,
          // The config slice holds the password: only the device id goes into the child logger.
          log: log.child({ device: device.id }),
          clock: options.clock,
          sink: {
            reading: (r) => this.emit('reading', r),
            event: (e) => this.emit('event', e),
            status: (s) => this.emit('status', s),
          },
        }),
      );
    }
  }

  /** Starts every camera's checks and returns at once: cameras come online in the background. */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#started || this.#stopping || signal?.aborted) return;
    this.#started = true;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    for (const camera of this.#cameras.values()) camera.start();
  }

  stop(): Promise<void> {
    this.#stopping ??= Promise.all([...this.#cameras.values()].map((c) => c.stop())).then(() => {});
    return this.#stopping;
  }

  /** A JPEG from the camera now; `CGW_NOT_FOUND` for a device that is not one of its cameras. */
  snapshot(deviceId: string): Promise<Buffer> {
    const camera = this.#cameras.get(deviceId);
    if (!camera)
      return Promise.reject(
        new GatewayError('CGW_NOT_FOUND', `"${deviceId}" is not an ONVIF camera`, { context: { deviceId } }),
      );
    return camera.snapshot();
  }

  camera(deviceId: string): CameraView | undefined {
    const c = this.#cameras.get(deviceId);
    if (!c) return undefined;
    return {
      state: c.state,
      reason: c.reason,
      facts: c.facts,
      clockOffsetMs: c.client.offsetMs,
      events: c.eventStats,
    };
  }

  get cameraIds(): string[] {
    return [...this.#cameras.keys()];
  }
}
