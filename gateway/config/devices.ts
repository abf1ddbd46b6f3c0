import { z } from 'zod';
import { DEVICE_KINDS } from '../types.ts';
import { durationMs, identifier, port, secret } from './common.ts';

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

export const modbusRegister = z.strictObject({
  field: identifier,
  table: z.enum(['holding', 'input', 'coil', 'discrete']),
  address: z.number().int().min(0).max(65535),
  type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32', 'bool']).default('uint16'),
  wordOrder: z.enum(['big', 'little']).default('big'),
  scale: z.number().default(1),
  offset: z.number().default(0),
});

const modbusDevice = z.strictObject({
  ...base,
  protocol: z.literal('modbus'),
  modbus: z
    .strictObject({
      host: z.string().min(1),
      port: port.default(502),
      unitId: z.number().int().min(0).max(255).default(1),
      pollMs: z.number().int().min(50).default(1000),
      timeoutMs: z.number().int().min(10).default(1000),
      profile: identifier.optional(),
      registers: z.array(modbusRegister).min(1).optional(),
    })
    .refine((m) => (m.profile === undefined) !== (m.registers === undefined), {
      message: 'give either a profile or a registers map, not both and not neither',
    }),
});

const onvifDevice = z.strictObject({
  ...base,
  protocol: z.literal('onvif'),
  onvif: z.strictObject({
    xaddr: z.url(),
    username: z.string().min(1),
    password: secret,
    healthMs: z.number().int().min(100).default(10_000),
  }),
});

export const deviceSchema = z.discriminatedUnion('protocol', [mqttDevice, modbusDevice, onvifDevice]);

export type DeviceConfig = z.infer<typeof deviceSchema> & { site: string };
export type MqttDeviceConfig = Extract<DeviceConfig, { protocol: 'mqtt' }>;
