import { randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { formatProblems, parseConfigObject } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/**
 * The demo community: two residential buildings and the garage, with door controllers and lifts.
 * Device passwords are made fresh for every run; the simulators read them from the same config.
 */
export function demoConfig(): Config {
  const password = (): string => randomBytes(12).toString('base64url');
  const door = (id: string, name: string, building: string, zone: string) => ({
    id,
    kind: 'access',
    name,
    protocol: 'mqtt',
    password: password(),
    labels: { building, zone },
    offlineAfter: '2m',
  });
  const lift = (id: string, name: string, building: string) => ({
    id,
    kind: 'elevator',
    name,
    protocol: 'mqtt',
    password: password(),
    labels: { building, zone: 'core' },
    offlineAfter: '1m',
  });
  const raw = {
    site: 'garden-court',
    devices: [
      door('door-b1-east', 'Building 1 east gate', 'b1', 'east'),
      door('door-b1-lobby', 'Building 1 lobby', 'b1', 'lobby'),
      door('door-b1-roof', 'Building 1 roof access', 'b1', 'roof'),
      door('door-b2-west', 'Building 2 west gate', 'b2', 'west'),
      door('door-b2-lobby', 'Building 2 lobby', 'b2', 'lobby'),
      door('door-garage-in', 'Garage pedestrian entrance', 'garage', 'entrance'),
      lift('lift-b1-a', 'Building 1 lift A', 'b1'),
      lift('lift-b1-b', 'Building 1 lift B', 'b1'),
      lift('lift-b2-a', 'Building 2 lift A', 'b2'),
      lift('lift-b2-b', 'Building 2 lift B', 'b2'),
    ],
  };
  const result = parseConfigObject(raw);
  if (!result.ok)
    throw new GatewayError(
      'CGW_INTERNAL',
      `the built-in demo config is invalid:\n${formatProblems(result.problems)}`,
    );
  return result.config;
}
