import { z } from 'zod';
import { getProfile, PROFILE_NAMES } from './profiles/index.ts';
import { registerMapSchema, type RegisterEntry } from './register-map.ts';

export { registerEntrySchema, registerMapSchema, type RegisterEntry } from './register-map.ts';

/** A serial line for Modbus RTU: every device on one `path` shares it (a bus of unit ids). */
export const serialLineSchema = z.strictObject({
  path: z.string().min(1),
  baudRate: z.number().int().min(300).max(921_600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});
export type SerialLine = z.output<typeof serialLineSchema>;

/**
 * The `modbus:` section of a pump (or any Modbus device): where it is (`host`/`port` for Modbus
 * TCP, or `serial` for RTU), its unit id, how often it is polled and what its registers mean
 * (`profile` or an inline `registers` map). Several devices on one host:port or one serial path
 * share one connection.
 */
export const modbusDeviceSchema = z
  .strictObject({
    host: z.string().min(1).optional(),
    /** TCP port; 502 when left out. */
    port: z.number().int().min(1).max(65535).optional(),
    serial: serialLineSchema.optional(),
    /** 1-247 on a serial line; Modbus TCP devices also use 0 or 255 for "the device itself". */
    unitId: z.number().int().min(0).max(255).default(1),
    pollMs: z.number().int().min(50).max(3_600_000).default(1000),
    /** How long one request may take before it counts as a failure. */
    timeoutMs: z.number().int().min(10).max(60_000).default(1000),
    /** Consecutive failed polls before the device is reported offline. */
    offlineAfterFailures: z.number().int().min(1).max(100).default(3),
    /** Cap of the reconnect and offline-probe backoff. */
    backoffMaxMs: z.number().int().min(100).max(3_600_000).default(30_000),
    profile: z.enum(PROFILE_NAMES).optional(),
    registers: registerMapSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if ((m.host === undefined) === (m.serial === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give either host (Modbus TCP) or serial (Modbus RTU), not both and not neither',
      });
    if ((m.profile === undefined) === (m.registers === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give either a profile or a registers map, not both and not neither',
      });
    if (m.serial && m.port !== undefined)
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'port is for Modbus TCP, not a serial line' });
    if (m.serial && (m.unitId < 1 || m.unitId > 247))
      ctx.addIssue({ code: 'custom', path: ['unitId'], message: 'a unit on a serial line has id 1-247' });
  });

export type ModbusDeviceSection = z.output<typeof modbusDeviceSchema>;

/** Where a device is reached: one connection per endpoint. */
export type ModbusEndpoint = { kind: 'tcp'; host: string; port: number } | ({ kind: 'rtu' } & SerialLine);

export function endpointOf(section: ModbusDeviceSection): ModbusEndpoint {
  if (section.serial) return { kind: 'rtu', ...section.serial };
  return { kind: 'tcp', host: section.host ?? '127.0.0.1', port: section.port ?? 502 };
}

/** `tcp://127.0.0.1:5020` or `rtu:///dev/ttyUSB0`: the key connections are shared by. */
export function endpointKey(endpoint: ModbusEndpoint): string {
  return endpoint.kind === 'tcp' ? `tcp://${endpoint.host}:${endpoint.port}` : `rtu://${endpoint.path}`;
}

/** The device's register map: its profile's, or its own. */
export function registersOf(section: ModbusDeviceSection): readonly RegisterEntry[] {
  if (section.registers) return section.registers;
  if (section.profile) return getProfile(section.profile).registers;
  return [];
}
