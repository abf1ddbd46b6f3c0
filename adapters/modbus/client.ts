import { connect, type Socket } from 'node:net';
import M from 'modbus-serial';
import type { ModbusEndpoint } from './config.ts';
import type { RegisterTable } from './register-map.ts';

// modbus-serial is CommonJS; under NodeNext its class is the module's `default` (PLATFORM-NOTES).
const ModbusRTU = M.default;
type ModbusRTUClient = InstanceType<typeof ModbusRTU>;

/**
 * One transport to one endpoint: a TCP socket or a serial port. Only I/O lives here; queueing,
 * timeouts and reconnecting belong to `ModbusConnection`, which can therefore be tested with a
 * fake client.
 */
export interface ModbusClient {
  /** Opens the socket or port; rejects when it cannot (refused, no such device). */
  open(signal: AbortSignal): Promise<void>;
  /** One read. Rejects with `modbusCode` set for an exception reply. Never times out by itself. */
  read(unitId: number, table: RegisterTable, address: number, count: number): Promise<number[] | boolean[]>;
  /** Drops the transport; pending reads are left to their caller's timeout. Idempotent. */
  close(): void;
  readonly isOpen: boolean;
  /** Called once when the transport goes away without `close()` (peer closed, reset, unplugged). */
  onLost(listener: (reason: string) => void): void;
}

export type ClientFactory = (endpoint: ModbusEndpoint) => ModbusClient;

/** The real transport: modbus-serial over a socket we own (so we see it close) or a serial port. */
export const createModbusSerialClient: ClientFactory = (endpoint) => {
  const client: ModbusRTUClient = new ModbusRTU();
  let socket: Socket | undefined;
  let open = false;
  let closed = false;
  let lost: ((reason: string) => void) | undefined;
  const goneAway = (reason: string): void => {
    if (!open || closed) return;
    open = false;
    lost?.(reason);
  };
  // A serial port reports errors as events: unheard, they would crash the process.
  client.on('error', (err) => goneAway(describeError(err)));
  client.on('close', () => goneAway('connection closed'));

  return {
    async open(signal) {
      if (endpoint.kind === 'tcp') {
        socket = await connectSocket(endpoint.host, endpoint.port, signal);
        socket.on('error', (err) => goneAway(describeError(err)));
        socket.on('close', () => goneAway('connection closed by the device'));
        await client.linkTCP(socket, { port: endpoint.port });
      } else {
        const { baudRate, parity, dataBits, stopBits } = endpoint;
        await client.connectRTUBuffered(endpoint.path, { baudRate, parity, dataBits, stopBits });
      }
      if (closed) {
        this.close();
        throw new Error('closed while opening');
      }
      open = true;
    },
    read(unitId, table, address, count) {
      client.setID(unitId);
      switch (table) {
        case 'holding':
          return client.readHoldingRegisters(address, count).then((r) => r.data);
        case 'input':
          return client.readInputRegisters(address, count).then((r) => r.data);
        case 'coil':
          return client.readCoils(address, count).then((r) => r.data.slice(0, count));
        case 'discrete':
          return client.readDiscreteInputs(address, count).then((r) => r.data.slice(0, count));
      }
    },
    close() {
      closed = true;
      open = false;
      socket?.destroy();
      if (endpoint.kind === 'rtu' && client.isOpen) client.close(() => {});
    },
    get isOpen() {
      return open && !closed && client.isOpen;
    },
    onLost(listener) {
      lost = listener;
    },
  };
};

function connectSocket(host: string, port: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const fail = (err: Error): void => {
      socket.destroy();
      signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    const onAbort = (): void => fail(new Error(`no connection within the timeout`));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
  });
}

/** `ECONNREFUSED` and friends as words a person reads in a status reason. */
export function describeError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    EPIPE: 'connection lost',
    ENOENT: 'no such serial device',
    EACCES: 'serial device not accessible',
  };
  if (typeof code === 'string' && words[code]) return words[code];
  return err instanceof Error ? err.message : String(err);
}
