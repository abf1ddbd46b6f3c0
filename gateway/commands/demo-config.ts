import { randomBytes } from 'node:crypto';
import { demoNotify, demoRules } from '../../rules/demo-rules.ts';
import { GatewayError } from '../errors.ts';
import { formatProblems, parseConfigObject } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/**
 * The demo's pumps answer Modbus TCP on this port and the next two (`CGW_MODBUS_PORT` moves
 * them), so `mbpoll -m tcp -p 5020 -a 1 -t 3 -r 1 -c 13 127.0.0.1` reads booster pump 1.
 */
export function demoModbusPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CGW_MODBUS_PORT;
  if (raw === undefined || raw === '') return 5020;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65533)
    throw new GatewayError('CGW_CONFIG_INVALID', `CGW_MODBUS_PORT="${raw}" is not a port number (1-65533)`);
  return port;
}

/**
 * The demo community: two residential buildings and the garage: 12 door controllers, 4 lifts, 6
 * cameras (each door and each lift lobby linked to one) and 3 pumps. Device passwords are made fresh for every run; the
 * simulators read them from the same config.
 */
export function demoConfig(
  options: { webhook?: { url: string; secret: string }; modbusPort?: number } = {},
): Config {
  const password = (): string => randomBytes(12).toString('base64url');
  // Each door is linked to the camera that sees it: a forced door's alert carries its snapshot.
  const door = (id: string, name: string, building: string, zone: string, camera: string) => ({
    id,
    kind: 'access',
    name,
    protocol: 'mqtt',
    password: password(),
    labels: { building, zone },
    offlineAfter: '2m',
    links: [camera],
  });
  // Port 0: `cgw demo` starts the camera simulators on free ports and writes their addresses into
  // the config it gives the gateway, so two demos side by side never fight over camera ports.
  const camera = (id: string, name: string, building: string, zone: string) => ({
    id,
    kind: 'camera',
    name,
    protocol: 'onvif',
    labels: { building, zone },
    onvif: {
      xaddr: 'http://127.0.0.1:0/onvif/device_service',
      username: 'admin',
      password: password(),
    },
  });
  // Two booster sets (one per building, each behind its own Modbus TCP gateway) and the garage's
  // drainage pump with its sump tank.
  const modbusPort = options.modbusPort ?? demoModbusPort();
  const pump = (
    id: string,
    name: string,
    building: string,
    port: number,
    unitId: number,
    profile: string,
  ) => ({
    id,
    kind: 'pump',
    name,
    protocol: 'modbus',
    labels: { building, zone: 'plant-room' },
    modbus: { host: '127.0.0.1', port, unitId, profile, pollMs: 1000, timeoutMs: 500 },
  });
  // A lift is linked to the camera of its lobby: who was waiting, who got in.
  const lift = (id: string, name: string, building: string) => ({
    id,
    kind: 'elevator',
    name,
    protocol: 'mqtt',
    password: password(),
    labels: { building, zone: 'core' },
    offlineAfter: '1m',
    links: [`cam-${building}-lobby`],
  });
  const raw = {
    site: 'garden-court',
    devices: [
      door('door-b1-east', 'Building 1 east gate', 'b1', 'east', 'cam-b1-east'),
      door('door-b1-rear', 'Building 1 rear exit', 'b1', 'east', 'cam-b1-east'),
      door('door-b1-lobby', 'Building 1 lobby', 'b1', 'lobby', 'cam-b1-lobby'),
      door('door-b1-bikes', 'Building 1 bicycle room', 'b1', 'lobby', 'cam-b1-lobby'),
      door('door-b1-roof', 'Building 1 roof access', 'b1', 'roof', 'cam-b1-roof'),
      door('door-b2-west', 'Building 2 west gate', 'b2', 'west', 'cam-b2-west'),
      door('door-b2-rear', 'Building 2 rear exit', 'b2', 'west', 'cam-b2-west'),
      door('door-b2-lobby', 'Building 2 lobby', 'b2', 'lobby', 'cam-b2-lobby'),
      door('door-b2-roof', 'Building 2 roof access', 'b2', 'roof', 'cam-b2-lobby'),
      door('door-garage-in', 'Garage pedestrian entrance', 'garage', 'entrance', 'cam-garage-in'),
      door('door-garage-ramp', 'Garage car ramp barrier', 'garage', 'entrance', 'cam-garage-in'),
      door('door-garage-stair', 'Garage stairwell', 'garage', 'entrance', 'cam-garage-in'),
      lift('lift-b1-a', 'Building 1 lift A', 'b1'),
      lift('lift-b1-b', 'Building 1 lift B', 'b1'),
      lift('lift-b2-a', 'Building 2 lift A', 'b2'),
      lift('lift-b2-b', 'Building 2 lift B', 'b2'),
      camera('cam-b1-east', 'Building 1 east gate camera', 'b1', 'east'),
      camera('cam-b1-lobby', 'Building 1 lobby camera', 'b1', 'lobby'),
      camera('cam-b1-roof', 'Building 1 roof camera', 'b1', 'roof'),
      camera('cam-b2-west', 'Building 2 west gate camera', 'b2', 'west'),
      camera('cam-b2-lobby', 'Building 2 lobby camera', 'b2', 'lobby'),
      camera('cam-garage-in', 'Garage entrance camera', 'garage', 'entrance'),
      pump('pump-b1-1', 'Building 1 booster set', 'b1', modbusPort, 1, 'booster-pump-v1'),
      pump('pump-b2-1', 'Building 2 booster set', 'b2', modbusPort + 1, 1, 'booster-pump-v1'),
      pump('pump-garage-sump', 'Garage drainage pump', 'garage', modbusPort + 2, 1, 'drainage-pump-v1'),
    ],
    // Every shipped rule template; alerts go to the chat webhook (when given) and the MQTT topic.
    rules: demoRules(),
    notify: demoNotify(options.webhook),
  };
  const result = parseConfigObject(raw);
  if (!result.ok)
    throw new GatewayError(
      'CGW_INTERNAL',
      `the built-in demo config is invalid:\n${formatProblems(result.problems)}`,
    );
  return result.config;
}
