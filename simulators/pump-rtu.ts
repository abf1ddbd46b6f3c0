import { ServerSerial } from 'modbus-serial';
import {
  buildPumpUnits,
  pumpControls,
  type ClosableServer,
  type PumpServerControls,
  type PumpUnitsOptions,
} from './pump.ts';

export interface PumpRtuSimulatorOptions extends PumpUnitsOptions {
  /** The serial device the pumps answer on (one end of a socat pty pair in tests). */
  path: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}

export interface PumpRtuSimulator extends PumpServerControls {
  readonly path: string;
}

/**
 * The same pumps and maps as `createPumpSimulator`, answering Modbus RTU on a serial line
 * (modbus-serial's ServerSerial). Unknown unit ids stay silent, as on a real bus.
 */
export function createPumpRtuSimulator(options: PumpRtuSimulatorOptions): PumpRtuSimulator {
  const pumps = buildPumpUnits(options, 'silent');
  const open = (): Promise<ClosableServer> =>
    new Promise((resolve, reject) => {
      const s: ServerSerial = new ServerSerial(pumps.vector.vector, {
        path: options.path,
        baudRate: options.baudRate ?? 9600,
        parity: options.parity ?? 'none',
        dataBits: options.dataBits ?? 8,
        stopBits: options.stopBits ?? 1,
        unitID: 255,
        openCallback: (err: Error | null) => {
          if (err) reject(new Error(`pump simulator cannot open ${options.path}: ${err.message}`));
          else resolve(s);
        },
      });
      s.on('socketError', () => {});
      s.on('error', () => {});
    });
  return Object.assign(pumpControls(pumps, open), { path: options.path });
}
