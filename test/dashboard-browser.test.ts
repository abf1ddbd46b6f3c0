import { mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../gateway/commands/demo-config.ts';
import { silentLogger } from '../gateway/log.ts';
import { startGateway, type Gateway } from '../gateway/supervisor.ts';
import { createCameraFleet, type CameraFleet } from '../simulators/camera-fleet.ts';
import { createSimulatedCommunity, type SimulatedCommunity } from '../simulators/community.ts';
import { createPumpFleet, type PumpFleet } from '../simulators/pump-fleet.ts';
import { freePort } from './helpers/ports.ts';
import { waitFor } from './helpers/wait.ts';

/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against a gateway
 * running the demo community: doors and lifts over MQTT, pumps over Modbus, cameras over ONVIF.
 * Saves the screenshots the README shows (docs/screenshots/).
 */
// The README's pictures are refreshed on request (CGW_UPDATE_SCREENSHOTS=1 npm test), so an
// ordinary test run leaves the work tree clean; the shots are taken and checked either way.
const SCREENSHOTS = process.env.CGW_UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', 'docs', 'screenshots')
  : mkdtempSync(join(tmpdir(), 'cgw-shots-'));
const ADMIN_PASSWORD = 'browser-test-admin-pw';

let dir: string;
let gateway: Gateway;
/** How many devices of a kind the demo has: the page must show every one. */
const countOf = (kind: string): number => gateway.config.devices.filter((d) => d.kind === kind).length;
let community: SimulatedCommunity;
let cameras: CameraFleet;
let pumps: PumpFleet;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cgw-browser-'));
  const log = silentLogger();
  const config = demoConfig({ modbusPort: await freePort() });
  cameras = createCameraFleet({ config, log, seed: 3 });
  await cameras.start();
  pumps = createPumpFleet({ config, log, seed: 3 });
  await pumps.start();
  gateway = await startGateway({
    config: cameras.withServedAddresses(config),
    env: {
      dataDir: join(dir, 'data'),
      httpPort: await freePort(),
      mqttPort: await freePort(),
      adminPassword: ADMIN_PASSWORD,
    },
    log,
  });
  community = createSimulatedCommunity({
    config: gateway.config,
    brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`,
    seed: 3,
    log,
    // The morning rush: lifts busy and doors in use, for the screenshots.
    startAt: new Date().setHours(7, 55, 0, 0),
  });
  await community.start();
  expect(await community.waitConnected(10_000)).toBe(true);
  await mkdir(SCREENSHOTS, { recursive: true });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
}, 60_000);

afterAll(async () => {
  if (!process.env.CGW_UPDATE_SCREENSHOTS) await rm(SCREENSHOTS, { recursive: true, force: true });
  await context?.close();
  await community?.stop();
  await gateway?.stop();
  await cameras?.stop();
  await pumps?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The active-alert badge in the navigation, as a page expression. */
const OPEN_COUNT = "Number(document.querySelector('[data-testid=open-count]')?.textContent ?? 0)";

const shot = async (name: string): Promise<void> => {
  const png = await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
};

describe('the dashboard in chromium', () => {
  it('logs in, shows the community, and keeps the session over a reload', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    await page.goto(gateway.httpUrl!);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Overview');
    // Every building of the demo, and its devices coming up.
    for (const building of ['b1', 'b2', 'garage'])
      await page.waitForSelector(`tbody th:text-is("${building}")`);
    await page.waitForFunction("document.querySelectorAll('.pill.up').length >= 8", undefined, {
      timeout: 15_000,
    });
    // Live over server-sent events, not polling.
    await page.waitForSelector('[data-testid=connection].live', { timeout: 5000 });
    await page.reload();
    await page.waitForSelector('[data-page=alerts]');
    expect(await page.isVisible('input[name=password]')).toBe(false);
    // The CSP allows the bundle: nothing was refused.
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });

  it('shows a door-forced alert within 2 s without a reload, and acknowledges it', async () => {
    await page.goto(`${gateway.httpUrl}/#/alerts`);
    await page.waitForSelector('.alerts');
    const activeBefore = await activeCount();
    const raisedAt = Date.now();
    community.device('door-b1-east')!.setFault('forced', true);
    const row = page.locator('tr.alert-row[data-rule*=forced]', { hasText: 'Building 1 east gate' });
    await row.first().waitFor({ timeout: 2000 });
    expect(Date.now() - raisedAt).toBeLessThan(2000);
    await page.waitForFunction(`${OPEN_COUNT} > ${activeBefore}`);
    const activeWithAlert = await activeCount();
    await page.goto(`${gateway.httpUrl}/#/overview`);
    await page.waitForSelector('.card.sev-major.lit');
    await shot('overview');
    await page.goto(`${gateway.httpUrl}/#/alerts`);
    await row.first().waitFor();
    await shot('alert-queue');

    await row.first().locator('input.note').fill('guard sent to the east gate');
    await row.first().locator('button.ack').click();
    await row.first().locator('.state.st-acknowledged').waitFor({ timeout: 5000 });
    await page.waitForFunction(`${OPEN_COUNT} < ${activeWithAlert}`);
    expect(await activeCount()).toBe(activeWithAlert - 1);

    // History: who did what.
    await row.first().locator('button.link').click();
    await page.waitForSelector('.modal table.history td:text-is("acknowledged")');
    expect(await page.textContent('.modal')).toContain('guard sent to the east gate');
    await page.click('.modal button.quiet');

    // The door view flags the forced door.
    await page.goto(`${gateway.httpUrl}/#/doors`);
    await page.waitForSelector('.tile.door.alarm.forced[data-device=door-b1-east]');
  });

  it('switches to Chinese', async () => {
    expect(await page.textContent('[data-page=alerts]')).toContain('Alerts');
    await page.click('[data-testid=lang]');
    await page.waitForFunction("document.querySelector('[data-page=alerts]').textContent.includes('告警')");
    expect(await page.textContent('[data-page=lifts]')).toContain('电梯');
    // The alert queue as a Chinese control room sees it (the README's picture).
    await page.goto(`${gateway.httpUrl}/#/alerts`);
    await page.waitForSelector('tr.alert-row');
    expect(await page.textContent('.alerts')).toMatch(/[\u4e00-\u9fff]/);
    await shot('alert-queue-zh');
    await page.click('[data-testid=lang]');
    await page.waitForFunction("document.querySelector('[data-page=lifts]').textContent.includes('Lifts')");
  });

  it('shows one column per lift shaft', async () => {
    await page.goto(`${gateway.httpUrl}/#/lifts`);
    await page.waitForSelector('.shaft [data-field=floor]');
    expect(await page.locator('.shaft').count()).toBe(countOf('elevator'));
    await page.waitForFunction(
      "[...document.querySelectorAll('.shaft [data-field=floor]')].every((el) => /\\d/.test(el.textContent))",
    );
    // A lift on its way somewhere makes a better picture; idle ones are fine too.
    await page.waitForSelector('.shaft .direction:not(.dir-idle)', { timeout: 5000 }).catch(() => {});
    await shot('lifts');
  });

  it('renders the pumps, cameras and KPI pages', async () => {
    await page.goto(`${gateway.httpUrl}/#/pumps`);
    await page.waitForSelector('.tile.pump[data-device=pump-b1-1] svg.spark polyline');
    expect(await page.locator('.tile.pump').count()).toBe(countOf('pump'));
    const snapshot = page.waitForResponse(
      (res) => res.url().includes('/api/cameras/') && res.url().includes('/snapshot'),
    );
    await page.goto(`${gateway.httpUrl}/#/cameras`);
    const res = await snapshot;
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('image/jpeg');
    await page.waitForSelector('.tile.camera img.thumb');
    await page.goto(`${gateway.httpUrl}/#/kpi`);
    await page.waitForSelector('.kpi .card-value');
    // For a look by hand: CGW_DASHBOARD_SHOTS=<dir> saves these too.
    const extra = process.env.CGW_DASHBOARD_SHOTS;
    if (extra)
      for (const view of ['pumps', 'cameras', 'doors', 'kpi']) {
        await page.goto(`${gateway.httpUrl}/#/${view}`);
        await page.waitForTimeout(1500);
        await page.screenshot({ path: join(extra, `${view}.png`) });
      }
  });

  it('draws a chart of a pump field from the series store', async () => {
    // The pump is polled every second: wait until the store holds a few points, then open the page.
    const login = await fetch(`${gateway.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    }).then((r) => r.json() as Promise<{ token: string }>);
    await waitFor(
      async () => {
        const url = `${gateway.httpUrl}/api/devices/pump-b1-1/series?field=outlet_pressure_bar`;
        const res = await fetch(url, { headers: { authorization: `Bearer ${login.token}` } });
        return ((await res.json()) as { points: unknown[] }).points.length >= 3;
      },
      'three stored points of pump-b1-1',
      15_000,
      250,
    );
    await page.goto(`${gateway.httpUrl}/#/device/pump-b1-1`);
    await page.locator('.device-detail button.link', { hasText: 'outlet_pressure_bar' }).click();
    await page.waitForSelector('.chart canvas');
    expect(Number(await page.getAttribute('.chart', 'data-points'))).toBeGreaterThanOrEqual(3);
    // Polled: under the full suite's load the canvas was once caught without a box right after
    // it showed. A likely cause, since fixed (chart-field.ts): a Modbus read that timed out left
    // the field null, and the chart moved to another field and back, drawn anew each time.
    await expect
      .poll(async () => (await page.locator('.chart canvas').first().boundingBox())?.width ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(200);
    await shot('device-chart');
  });
});

describe('the dashboard without the event stream', () => {
  it('falls back to polling, still shows new alerts, fits a phone screen, and logs out', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.route('**/api/stream', (route) => route.fulfill({ status: 503, body: 'down' }));
    await phone.goto(`${gateway.httpUrl}/#/alerts`);
    await phone.waitForSelector('[data-testid=connection].polling');
    community.device('door-b2-west')!.setFault('forced', true);
    await phone
      .locator('tr.alert-row[data-rule*=forced]', { hasText: 'Building 2 west gate' })
      .waitFor({ timeout: 8000 });
    await phone.goto(`${gateway.httpUrl}/#/overview`);
    await phone.waitForSelector('.overview tbody th');
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.click('button:text-is("Log out")');
    await phone.waitForSelector('input[name=password]');
    await phone.reload();
    await phone.waitForSelector('input[name=password]');
    await phone.close();
  });
});

async function activeCount(): Promise<number> {
  const text = await page
    .locator('[data-testid=open-count]')
    .textContent({ timeout: 100 })
    .catch(() => null);
  return Number(text ?? 0);
}
