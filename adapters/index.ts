import type { Clock } from '../gateway/clock.ts';
import type { Config } from '../gateway/config/schema.ts';
import type { Logger } from '../gateway/log.ts';
import type { ModbusDeviceConfig } from './modbus/adapter.ts';
import { MqttAdapter } from './mqtt/adapter.ts';
import type { Adapter } from './types.ts';

export type { Adapter, AdapterEvents } from './types.ts';

export interface AdapterContext {
  config: Config;
  log: Logger;
  clock: Clock;
}

/**
 * Protocol name → factory. An explicit map: no folder scanning, nothing loaded by name at run
 * time. A protocol whose devices are absent from the config gets no adapter, except MQTT: the
 * embedded broker always runs (users and bridges may connect to it). Modbus and ONVIF are
 * imported only when devices use them: their libraries (modbus-serial with its native serial
 * port binding, node-onvif with its XML stack) cost about 15 MB of RSS a gateway without such
 * devices need not pay.
 */
export const ADAPTERS: Record<string, (ctx: AdapterContext) => Promise<Adapter>> = {
  mqtt: async (ctx) =>
    new MqttAdapter({
      config: ctx.config.mqtt,
      devices: ctx.config.devices,
      log: ctx.log.child({ module: 'mqtt' }),
      clock: ctx.clock,
    }),
  modbus: async (ctx) =>
    new (await import('./modbus/adapter.ts')).ModbusAdapter({
      devices: ctx.config.devices.filter((d): d is ModbusDeviceConfig => d.protocol === 'modbus'),
      log: ctx.log.child({ module: 'modbus' }),
      clock: ctx.clock,
    }),
  onvif: async (ctx) =>
    new (await import('./onvif/adapter.ts')).OnvifAdapter({
      devices: ctx.config.devices,
      log: ctx.log.child({ module: 'onvif' }),
      clock: ctx.clock,
    }),
};

export async function createAdapters(ctx: AdapterContext): Promise<Adapter[]> {
  const used = new Set(ctx.config.devices.map((d) => d.protocol));
  used.add('mqtt');
  const adapters: Adapter[] = [];
  for (const protocol of used) {
    const factory = ADAPTERS[protocol];
    if (factory) adapters.push(await factory(ctx));
    else ctx.log.warn({ protocol }, `no adapter for protocol "${protocol}" yet: its devices stay offline`);
  }
  return adapters;
}
