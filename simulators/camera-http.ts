import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * The simulated camera's network presence: an HTTP server that can be unplugged and plugged in
 * again on the same port (offline, reboot), dropping every open connection when it goes.
 */
export interface HttpPresence {
  /** The bound port; the one asked for until the first listen. */
  readonly port: number;
  listen(): Promise<void>;
  close(): Promise<void>;
}

export function createHttpPresence(
  host: string,
  port: number,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  onError: (err: unknown) => void,
): HttpPresence {
  let server: Server | undefined;
  return {
    get port() {
      return port;
    },
    async listen() {
      if (server) return;
      const s = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          onError(err);
          send(res, 500, 'text/plain', 'internal error');
        });
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const address = s.address();
      if (address && typeof address === 'object') port = address.port;
      server = s;
    },
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      await closed;
    },
  };
}

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
