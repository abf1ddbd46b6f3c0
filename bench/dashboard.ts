import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ensureDashboardBuilt } from '../dashboard/build.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway } from '../gateway/supervisor.ts';
import { benchGatewayConfig } from './fixtures.ts';
import type { Scalar } from '../gateway/types.ts';

export interface DashboardBenchOptions {
  /** Simulated devices, each reporting once a second. Default 2,000. */
  devices?: number;
  /** How long the page is watched under load. Default 10 s. */
  seconds?: number;
}

export interface DashboardBenchResult {
  devices: number;
  /** From navigation to the overview table showing every building (logged in already). */
  firstRenderMs: number;
  /** Device updates published into the gateway per second. */
  offeredPerSecond: number;
  /** Device updates the page applied per second (from the SSE `devices` batches). */
  absorbedPerSecond: number;
  /** Longest gap between two animation frames while under load: how long the page froze at worst. */
  maxFrameGapMs: number;
  /** Main-thread tasks over 50 ms while under load. */
  longTasks: number;
  /** Whether the page was on the stream (`live`) or fell back to polling. */
  connection: string;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The dashboard with thousands of devices at 1 Hz, in headless chromium: time to first render and
 * the SSE updates per second the page absorbs while staying responsive. Readings go straight into
 * the gateway's pipeline (no MQTT), so the bench measures the HTTP stream and the page.
 */
export async function benchDashboard(options: DashboardBenchOptions = {}): Promise<DashboardBenchResult> {
  const devices = options.devices ?? 2000;
  const seconds = options.seconds ?? 10;
  await ensureDashboardBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'cgw-bench-dash-'));
  const config = benchGatewayConfig(devices);
  const gateway = await startGateway({
    config,
    env: { dataDir: join(dir, 'data'), adminPassword: 'bench-admin' },
    log: silentLogger(),
  });
  // Every device once a second, spread over ten slices of the second.
  let tick = 0;
  let offered = 0;
  const feed = setInterval(() => {
    const slice = tick++ % 10;
    const ts = Date.now();
    for (let i = slice; i < devices; i += 10) {
      const values: Record<string, Scalar> =
        i % 2
          ? {
              floor: (tick + i) % 18,
              direction: 'up',
              door_open: false,
              load_kg: (tick * 37 + i) % 900,
              mode: 'normal',
            }
          : { door_open: (tick + i) % 7 === 0, locked: (tick + i) % 7 !== 0 };
      gateway.pipeline.reading({ deviceId: `dev-${i}`, ts, values });
      offered++;
    }
  }, 100);
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    // The page's CSP (script-src 'self') forbids the string predicates evaluated below.
    bypassCSP: true,
    viewport: { width: 1366, height: 768 },
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const url = gateway.httpUrl!;
    await page.goto(url);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'bench-admin');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-page=alerts]');

    const started = Date.now();
    await page.goto(`${url}/#/overview`);
    await page.reload();
    await page.waitForFunction('document.querySelectorAll(".overview tbody tr").length >= 20', undefined, {
      timeout: 30_000,
    });
    const firstRenderMs = Date.now() - started;
    await page.waitForSelector('[data-testid=connection].live', { timeout: 10_000 }).catch(() => {});

    // Watch frames and long tasks while the updates pour in; then read the store's counters.
    const before = (await page.evaluate('window.cgwLive?.deviceUpdates ?? 0')) as number;
    const offeredBefore = offered;
    const watch = (await page.evaluate(`new Promise((resolve) => {
      let longTasks = 0, maxGap = 0, last = performance.now();
      try { new PerformanceObserver((l) => { longTasks += l.getEntries().length; }).observe({ type: 'longtask' }); } catch {}
      const end = last + ${seconds * 1000};
      const frame = (now) => {
        maxGap = Math.max(maxGap, now - last); last = now;
        if (now < end) requestAnimationFrame(frame); else resolve({ longTasks, maxGap });
      };
      requestAnimationFrame(frame);
    })`)) as { longTasks: number; maxGap: number };
    const after = (await page.evaluate('window.cgwLive?.deviceUpdates ?? 0')) as number;
    const connection = (await page.evaluate('window.cgwLive?.connection ?? "none"')) as string;
    return {
      devices,
      firstRenderMs,
      offeredPerSecond: Math.round((offered - offeredBefore) / seconds),
      absorbedPerSecond: Math.round((after - before) / seconds),
      maxFrameGapMs: Math.round(watch.maxGap),
      longTasks: watch.longTasks,
      connection,
    };
  } finally {
    clearInterval(feed);
    await context.close();
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/dashboard.ts [devices] [seconds]`
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const [devices, seconds] = process.argv.slice(2).map(Number);
  const result = await benchDashboard({ devices: devices || undefined, seconds: seconds || undefined });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
