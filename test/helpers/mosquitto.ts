import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from './debian.ts';
import { freePort } from './ports.ts';

export { freePort };

export interface Mosquitto {
  port: number;
  /** `mqtt://127.0.0.1:<port>` */
  url: string;
  /** Everything mosquitto logged so far, for a failing test's message. */
  output(): string;
  /** SIGTERM, SIGKILL after 3 s; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** A fixed port (to restart a broker where its clients expect it); default a free one. */
  port?: number;
  /** Extra config lines (e.g. `max_queued_messages 10000`). */
  extraConfig?: string[];
  /** Give up when it does not accept connections within this long. Default 10 s. */
  readyTimeoutMs?: number;
}

/**
 * A real mosquitto on a free loopback port in its own temp dir. The port can be taken between
 * `freePort()` and mosquitto's bind, so a bind failure is retried on another port.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  if (options.port !== undefined) return startOnce(options.port, options);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (err) {
      lastError = err;
      if (!(err instanceof BindError)) throw err;
    }
  }
  throw new Error(`mosquitto could not bind a port after 5 attempts: ${String(lastError)}`);
}

class BindError extends Error {}

async function startOnce(port: number, options: MosquittoOptions): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'cgw-mosquitto-'));
  // Run as root, mosquitto drops to user `mosquitto`, which must still read its config.
  await chmod(dir, 0o755);
  const configPath = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'log_dest stdout',
    ...(options.extraConfig ?? []),
  ];
  await writeFile(configPath, lines.join('\n') + '\n', { mode: 0o644 });

  let output = '';
  const child = spawn(binaryPath('mosquitto'), ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => {
    // 'close', not 'exit': by then everything it wrote has been read.
    child.once('close', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await terminate(child, exited);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  // Ready when it answers an MQTT CONNECT: its "running" log line cannot tell us, being
  // block-buffered on a pipe (it arrives only at exit).
  const ready = await waitUntil(() => answersMqtt(port), options.readyTimeoutMs ?? 10_000, exited);
  if (!ready) {
    await stop();
    if (/address already in use/i.test(output)) throw new BindError(`port ${port} taken`);
    throw new Error(`mosquitto did not start on 127.0.0.1:${port}:\n${output}`);
  }
  return { port, url: `mqtt://127.0.0.1:${port}`, output: () => output, stop };
}

/** Polls `ready`; false when the process exits or time runs out. */
async function waitUntil(
  ready: () => Promise<boolean>,
  timeoutMs: number,
  exited: Promise<unknown>,
): Promise<boolean> {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  const pause = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));
  while (Date.now() < deadline && !dead) {
    if (await ready()) {
      // Still alive a moment later: a broker that lost the bind race exits within milliseconds.
      await pause(50);
      return !dead;
    }
    await pause(25);
  }
  return false;
}

// MQTT 3.1.1 CONNECT, clean session, keepalive 60 s, client id "probe".
const CONNECT = Buffer.from([
  0x10, 0x11, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x05, 0x70, 0x72, 0x6f, 0x62,
  0x65,
]);

/** True when the port answers CONNECT with a CONNACK that accepts (0x20 0x02 _ 0x00). */
function answersMqtt(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 1_000);
    socket.once('connect', () => socket.write(CONNECT));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4) finish(received[0] === 0x20 && received[1] === 0x02 && received[3] === 0x00);
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

async function terminate(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 3_000);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}
