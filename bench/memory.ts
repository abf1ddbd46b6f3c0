import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startInfluxd } from '../test/helpers/influxd.ts';
import { loadInChild } from './harness.ts';

export interface MemoryResult {
  devices: number;
  ratePerSecond: number;
  seconds: number;
  baselineRssMb: number;
  idleRssMb: number;
  loadedRssMb: number;
  loadedHeapMb: number;
  ratio: number;
}

const MB = 1024 * 1024;

function child(
  mode: 'gateway' | 'aedes',
  devices: number,
  influxUrl = '',
): { proc: ChildProcess; next: () => Promise<string> } {
  const proc = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      fileURLToPath(new URL('./memory-child.ts', import.meta.url)),
      mode,
      String(devices),
      influxUrl,
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffer = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  return {
    proc,
    next: () => (lines.length ? Promise.resolve(lines.shift()!) : new Promise((r) => waiting.push(r))),
  };
}

async function sample(c: ReturnType<typeof child>): Promise<{ rss: number; heapUsed: number }> {
  c.proc.stdin!.write('mem\n');
  return JSON.parse(await c.next()) as { rss: number; heapUsed: number };
}

async function measure(
  mode: 'gateway' | 'aedes',
  devices: number,
  rate: number,
  seconds: number,
  influxUrl: string,
) {
  const c = child(mode, devices, influxUrl);
  const port = Number((await c.next()).split(' ')[1]);
  const idle = await sample(c);
  const ids = Array.from({ length: devices }, (_, i) => ({
    id: `dev-${i}`,
    kind: (i % 2 ? 'elevator' : 'access') as 'access' | 'elevator',
    site: 'bench',
  }));
  await loadInChild({
    url: `mqtt://127.0.0.1:${port}`,
    username: 'bench',
    password: 'bench',
    connections: 10,
    devices: ids,
    durationMs: seconds * 1000,
    qos: 0,
    ratePerSecond: rate,
  });
  const loaded = await sample(c);
  c.proc.stdin!.write('exit\n');
  return { idle, loaded };
}

/** RSS of the gateway with `devices` devices each reporting every 2 s, against bare aedes under the same load. */
export async function benchMemory(options: { devices: number; seconds: number }): Promise<MemoryResult> {
  const rate = options.devices / 2;
  const influxd = await startInfluxd();
  try {
    const base = await measure('aedes', options.devices, rate, options.seconds, '');
    const gw = await measure('gateway', options.devices, rate, options.seconds, influxd.url);
    return {
      devices: options.devices,
      ratePerSecond: rate,
      seconds: options.seconds,
      baselineRssMb: base.loaded.rss / MB,
      idleRssMb: gw.idle.rss / MB,
      loadedRssMb: gw.loaded.rss / MB,
      loadedHeapMb: gw.loaded.heapUsed / MB,
      ratio: gw.loaded.rss / base.loaded.rss,
    };
  } finally {
    await influxd.dispose();
  }
}
