import { PRODUCTION_NODE_FLAGS } from '../bin/bundle.mjs';
import { startInfluxd } from '../test/helpers/influxd.ts';
import { benchDevices } from './fixtures.ts';
import { bundleScript, loadInChild, spawnLineChild, type LineChild } from './harness.ts';

export interface MemoryResult {
  devices: number;
  ratePerSecond: number;
  seconds: number;
  baselineRssMb: number;
  idleRssMb: number;
  loadedRssMb: number;
  loadedHeapMb: number;
  /** V8 flags both processes ran with (the production ones). */
  nodeFlags: string[];
  ratio: number;
}

interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

const MB = 1024 * 1024;

/** The gateway or the bare broker, bundled and run with the production flags, as bin/cgw.mjs runs. */
async function child(mode: 'gateway' | 'aedes', devices: number, influxUrl = ''): Promise<LineChild> {
  const script = await bundleScript(
    new URL(mode === 'gateway' ? './memory-child.ts' : './aedes-child.ts', import.meta.url),
  );
  return spawnLineChild(script, [String(devices), influxUrl], ['--expose-gc', ...PRODUCTION_NODE_FLAGS]);
}

async function sample(c: LineChild): Promise<MemorySample> {
  c.proc.stdin!.write('mem\n');
  return JSON.parse(await c.next()) as MemorySample;
}

async function measure(
  mode: 'gateway' | 'aedes',
  devices: number,
  rate: number,
  seconds: number,
  influxUrl: string,
) {
  const c = await child(mode, devices, influxUrl);
  const port = Number((await c.next()).split(' ')[1]);
  const idle = await sample(c);
  const ids = benchDevices(devices);
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
      nodeFlags: PRODUCTION_NODE_FLAGS,
      ratio: gw.loaded.rss / base.loaded.rss,
    };
  } finally {
    await influxd.dispose();
  }
}
