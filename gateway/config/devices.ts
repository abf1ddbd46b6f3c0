import { z } from 'zod';
import { modbusDeviceSchema } from '../../adapters/modbus/config.ts';
import { onvifConfigSchema } from '../../adapters/onvif/config.ts';
import { DEVICE_KINDS } from '../types.ts';
import { durationMs, identifier, secret } from './common.ts';

const RESERVED_LABELS = ['site', 'device', 'kind', 'type', 'rule', 'severity'];

const base = {
  id: identifier,
  kind: z.enum(DEVICE_KINDS),
  /** Defaults to the config's `site`. */
  site: identifier.optional(),
  name: z.string().min(1).max(200).optional(),
  /** Become InfluxDB tags beside `site` and `device`, so those names are taken. */
  labels: z
    .record(identifier, z.string().min(1).max(100))
    .refine((labels) => !RESERVED_LABELS.some((k) => k in labels), {
      message: `label names ${RESERVED_LABELS.map((k) => `"${k}"`).join(', ')} are reserved`,
    })
    .default({}),
  /** Other devices watching or feeding this one (a door's cameras, a pump's tank). */
  links: z.array(identifier).default([]),
  /** Silence longer than this marks the device offline. */
  offlineAfter: durationMs.optional(),
};

const mqttDevice = z.strictObject({
  ...base,
  protocol: z.literal('mqtt'),
  password: secret,
});

const modbusDevice = z.strictObject({
  ...base,
  protocol: z.literal('modbus'),
  modbus: modbusDeviceSchema,
});

const onvifDevice = z.strictObject({
  ...base,
  protocol: z.literal('onvif'),
  onvif: onvifConfigSchema,
});

export const deviceSchema = z.discriminatedUnion('protocol', [mqttDevice, modbusDevice, onvifDevice]);

export type DeviceConfig = z.infer<typeof deviceSchema> & { site: string };
export type MqttDeviceConfig = Extract<DeviceConfig, { protocol: 'mqtt' }>;
