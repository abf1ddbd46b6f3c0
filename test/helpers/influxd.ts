import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from './debian.ts';
import { freePort } from './ports.ts';

/** A real influxd 1.x for tests, on loopback ports of its own. */
export interface InfluxdHandle {
  /** `http://127.0.0.1:<httpPort>` */
  readonly url: string;
  readonly httpPort: number;
  /** Its temp dir (meta, data, wal, config). */
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. Keeps the data. */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data (after stop()). */
  start(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** Runs InfluxQL over HTTP (epoch ms) and returns the parsed JSON answer. */
  query(q: string, db?: string): Promise<InfluxAnswer>;
  /** Exact point count of one field of one measurement (PLATFORM-NOTES: count(*) over every measurement is slow and disturbs influxd). */
  countPoints(db: string, measurement: string, field: string): Promise<number>;
  /** Stops the server and removes its temp dir. */
  dispose(): Promise<void>;
}

export interface InfluxSeries {
  name: string;
  columns: string[];
  values?: unknown[][];
  tags?: Record<string, string>;
}

export interface InfluxAnswer {
  results: { statement_id?: number; series?: InfluxSeries[]; error?: string }[];
  error?: string;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[logging]
  level = "warn"
[ifql]
  enabled = false
`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pingOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) });
    return res.status === 204;
  } catch {
    return false;
  }
}

/** Starts influxd and resolves once `/ping` answers 204; throws with its stderr if it exits first. */
async function launch(confPath: string, url: string): Promise<ChildProcess> {
  const child = spawn(binaryPath('influxd'), ['run', '-config', confPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`influxd exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    }
    if (await pingOk(url)) return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`influxd did not answer /ping within 20 s: ${stderr}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export async function startInfluxd(): Promise<InfluxdHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'cgw-influxd-'));
  const confPath = join(dir, 'influxd.conf');
  let child: ChildProcess | undefined;
  let httpPort = 0;
  let url = '';

  // A port found free can still be taken before influxd binds it (another test, another worker):
  // pick new ports and try again. Once running, the same ports are reused for every restart.
  for (let attempt = 1; ; attempt++) {
    httpPort = await freePort();
    let rpcPort = await freePort();
    while (rpcPort === httpPort) rpcPort = await freePort();
    url = `http://127.0.0.1:${httpPort}`;
    await writeFile(confPath, config(dir, httpPort, rpcPort));
    try {
      child = await launch(confPath, url);
      break;
    } catch (err) {
      if (attempt >= 5 || !/address already in use/i.test(String(err))) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const query = async (q: string, db?: string): Promise<InfluxAnswer> => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${url}/query`, {
      method: 'POST',
      body: params,
      signal: AbortSignal.timeout(10_000),
    });
    return (await res.json()) as InfluxAnswer;
  };

  const handle: InfluxdHandle = {
    url,
    httpPort,
    dir,
    async stop() {
      if (child) await terminate(child);
      child = undefined;
    },
    async start() {
      if (child) return;
      // The port is below the ephemeral range, so only another test could hold it: retry a while.
      for (let attempt = 1; ; attempt++) {
        try {
          child = await launch(confPath, url);
          return;
        } catch (err) {
          if (attempt >= 20 || !/address already in use/i.test(String(err))) throw err;
          await sleep(250);
        }
      }
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
    query,
    async countPoints(db, measurement, field) {
      const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      const answer = await query(`SELECT count(${ident(field)}) FROM ${ident(measurement)}`, db);
      const result = answer.results[0];
      if (answer.error || result?.error) throw new Error(answer.error ?? result?.error);
      const value = result?.series?.[0]?.values?.[0]?.[1];
      return typeof value === 'number' ? value : 0;
    },
    async dispose() {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
