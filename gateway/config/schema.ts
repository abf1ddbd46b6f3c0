import { z } from 'zod';
import { mqttConfigSchema } from '../../adapters/mqtt/config.ts';
import { httpConfigSchema } from '../../dashboard/config.ts';
import { influxConfigSchema, storeConfigSchema } from '../store/config.ts';
import { identifier } from './common.ts';
import { deviceSchema } from './devices.ts';
import { ruleCrossCheck } from '../../rules/schema/cross-check.ts';
import { notifySchema } from '../../rules/schema/notify.ts';
import { rulesSchema } from '../../rules/schema/rule.ts';

/**
 * The whole config file. Each module owns its slice; this file only composes them and checks
 * what spans slices (unique ids, links that point somewhere).
 */
export const configSchema = z.strictObject({
  site: identifier.default('community'),
  mqtt: mqttConfigSchema.prefault({}),
  influx: influxConfigSchema.optional(),
  store: storeConfigSchema.prefault({}),
  http: httpConfigSchema.prefault({}),
  devices: z.array(deviceSchema).default([]),
  // Rules and notifications: their schemas live with the rule engine (rules/schema/).
  rules: rulesSchema.default([]),
  notify: notifySchema.optional(),
});

/**
 * Checks that span slices (unique ids, links that point somewhere). Runs on the raw document even
 * when the schema found problems, so a file's every mistake is reported in one go.
 */
export function crossCheck(raw: unknown): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const root = (raw ?? {}) as { devices?: unknown; mqtt?: { users?: unknown } };
  const devices = Array.isArray(root.devices) ? (root.devices as Array<Record<string, unknown>>) : [];
  const seen = new Map<string, number>();
  devices.forEach((device, index) => {
    const id = device?.id;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first !== undefined)
      problems.push({
        path: ['devices', index, 'id'],
        message: `duplicate device id "${id}" (first at devices.${first})`,
      });
    else seen.set(id, index);
  });
  devices.forEach((device, index) => {
    const links = device?.links;
    if (!Array.isArray(links)) return;
    links.forEach((link: unknown, li) => {
      if (typeof link !== 'string') return;
      if (link === device.id)
        problems.push({ path: ['devices', index, 'links', li], message: 'links to itself' });
      else if (!seen.has(link))
        problems.push({
          path: ['devices', index, 'links', li],
          message: `links to "${link}", which is not a device in this config`,
        });
    });
  });
  const users = Array.isArray(root.mqtt?.users) ? (root.mqtt.users as Array<Record<string, unknown>>) : [];
  users.forEach((user, index) => {
    if (typeof user?.username === 'string' && seen.has(user.username))
      problems.push({
        path: ['mqtt', 'users', index, 'username'],
        message: `"${user.username}" is also a device id: MQTT usernames must be unique`,
      });
  });
  problems.push(...ruleCrossCheck(raw));
  return problems;
}

export type ConfigInput = z.input<typeof configSchema>;
type ParsedConfig = z.infer<typeof configSchema>;
type ParsedDevice = ParsedConfig['devices'][number];

/** The validated config, with every device's site filled in, frozen. */
export type Config = Omit<ParsedConfig, 'devices'> & {
  devices: ReadonlyArray<ParsedDevice & { site: string }>;
};

/** The config's JSON Schema (draft-7), for editors: `cgw schema`. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' });
}
