import { createServer } from 'node:net';

/**
 * A port free on 127.0.0.1 right now, below 32768: outside the kernel's ephemeral range
 * (32768-60999), so no outgoing connection can take it while a server that must come back on the
 * same port is down (PLATFORM-NOTES).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port found below 32768');
}
