import type { Config } from '../gateway/config/schema.ts';
import { errorMessage } from '../gateway/errors.ts';
import type { Logger } from '../gateway/log.ts';
import { createDiscoveryResponder, type DiscoveryResponder } from './camera-discovery.ts';
import { createCameraSimulator, type CameraSimulator, type CameraSimulatorOptions } from './camera.ts';
import { hashSeed } from './random.ts';

export interface CameraFleetOptions {
  config: Config;
  log: Logger;
  /** Same seed, same cameras (serial numbers, scenery, alarm timing). Default 1. */
  seed?: number;
  /** UDP port of the WS-Discovery responder on 127.0.0.1 (default 3702); `null` for none. */
  discoveryPort?: number | null;
  /** Random alarms, as the demo wants them. Default none. */
  autoEvents?: CameraSimulatorOptions['autoEvents'];
  /** Anything else every simulator should get (`maxPullHoldMs`, `rebootMs`, …). */
  simulator?: Partial<Omit<CameraSimulatorOptions, 'port' | 'name' | 'username' | 'password' | 'seed'>>;
}

export interface FleetCamera {
  id: string;
  sim: CameraSimulator;
}

export interface CameraFleet {
  /** Starts every camera it can; a port that is taken is logged and skipped, never fatal. */
  start(): Promise<void>;
  stop(): Promise<void>;
  camera(id: string): CameraSimulator | undefined;
  /** The cameras that are serving. */
  cameras(): FleetCamera[];
  /**
   * The config with each serving camera's `xaddr` where it really listens: a config may give
   * port 0 (the demo does) so that runs side by side never fight over ports.
   */
  withServedAddresses(config: Config): Config;
  readonly discovery: DiscoveryResponder | undefined;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/**
 * One camera simulator per ONVIF device of a gateway config, on the port of its `xaddr`, with
 * the device's credentials: what `cgw simulate` and `cgw demo` run. Only loopback addresses are
 * served: a camera configured at a LAN address is a real one, and is left alone.
 */
export function createCameraFleet(options: CameraFleetOptions): CameraFleet {
  const log = options.log.child({ module: 'camera-sim' });
  const planned: FleetCamera[] = [];
  const ports = new Map<number, string>();
  for (const device of options.config.devices) {
    if (device.protocol !== 'onvif') continue;
    const url = new URL(device.onvif.xaddr);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (url.protocol !== 'http:' || !LOOPBACK.test(url.hostname)) {
      log.warn({ device: device.id }, `${device.id}: not simulated (only http:// cameras on 127.0.0.1 are)`);
      continue;
    }
    const taken = port === 0 ? undefined : ports.get(port);
    if (taken) {
      log.warn({ device: device.id }, `${device.id}: port ${port} is already ${taken}'s; not simulated`);
      continue;
    }
    ports.set(port, device.id);
    const sim = createCameraSimulator({
      ...options.simulator,
      port,
      host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, ''),
      devicePath: url.pathname,
      name: device.name ?? device.id,
      location: device.labels.building ?? device.site,
      username: device.onvif.username,
      password: device.onvif.password,
      seed: hashSeed(options.seed ?? 1, device.id),
      ...(options.autoEvents ? { autoEvents: options.autoEvents } : {}),
      log,
    });
    planned.push({ id: device.id, sim });
  }
  let serving: FleetCamera[] = [];
  const discovery =
    options.discoveryPort === null || planned.length === 0
      ? undefined
      : createDiscoveryResponder({
          port: options.discoveryPort ?? 3702,
          cameras: () => serving.filter((c) => !c.sim.behaviours.offline).map((c) => c.sim),
          log,
        });
  let stopping: Promise<void> | undefined;

  return {
    discovery,
    async start() {
      const started = await Promise.all(
        planned.map(async (camera) => {
          try {
            await camera.sim.start();
            return camera;
          } catch (err) {
            log.warn(
              { device: camera.id },
              `${camera.id}: camera simulator not started: ${errorMessage(err)}`,
            );
            return undefined;
          }
        }),
      );
      serving = started.filter((c): c is FleetCamera => c !== undefined);
      if (discovery)
        await discovery.start().catch((err: unknown) => {
          log.warn(`WS-Discovery responder not started on 127.0.0.1:${discovery.port}: ${errorMessage(err)}`);
        });
      log.info({ cameras: serving.length, discoveryPort: discovery?.port }, 'camera simulators serving');
    },
    stop() {
      stopping ??= Promise.all([...planned.map((c) => c.sim.stop()), discovery?.stop()]).then(() => {});
      return stopping;
    },
    camera: (id) => planned.find((c) => c.id === id)?.sim,
    cameras: () => [...serving],
    withServedAddresses(config) {
      const xaddrs = new Map(serving.map((c) => [c.id, c.sim.xaddr]));
      return {
        ...config,
        devices: config.devices.map((d) => {
          const xaddr = d.protocol === 'onvif' ? xaddrs.get(d.id) : undefined;
          return xaddr && d.protocol === 'onvif' ? { ...d, onvif: { ...d.onvif, xaddr } } : d;
        }),
      };
    },
  };
}
