// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against a real
// local runtime with a deployed model: the page loads, a device can be chosen, the chart shows
// history and a forecast band; a screenshot is saved under test/.artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServingRuntime, startServingRuntime } from './api-fixture.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '.artifacts');

let serving: ServingRuntime;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
  }
  serving = await startServingRuntime({ devices: 3 });
  profileDir = await mkdtemp(join(tmpdir(), 'smogcast-chromium-'));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1100 },
    args: [
      '--headless',
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
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await context?.close();
  await serving?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('dashboard in headless Chromium', () => {
  it('loads with the fleet, the champion model and the recent runs', async () => {
    // Act
    await page.goto(serving.runtime.dashboardUrl);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    // Assess
    const rows = page.locator('#fleet tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.first().getAttribute('data-device')).toBe('sim-001');
    expect(await page.locator('#map .map-device').count()).toBe(3);
    expect(await page.locator('#champion').textContent()).toMatch(/version\s*\d{8}-\d{6}/);
    expect(await page.locator('#runs tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#canary .pill').textContent()).toBe('promoted');
    // The key travelled in the fragment only, and the page dropped it from the address bar.
    expect(page.url()).not.toContain('key=');
  });

  it('charts history, forecast mean and quantile band for the device and metric chosen', async () => {
    // Act
    await page.selectOption('#device-select', 'sim-002');
    await page.selectOption('#metric-select', 'o3');
    await page.waitForFunction(() => {
      const title = document.querySelector('#chart-title')?.textContent ?? '';
      const chart = document.querySelector('#chart') as SVGSVGElement | null;
      return (
        title.startsWith('sim-002') && title.includes('O₃') && chart?.dataset.state === 'forecast'
      );
    });
    // Assess
    const history = await page.getAttribute('#chart path.history', 'd');
    const band = await page.getAttribute('#chart path.band', 'd');
    const mean = await page.getAttribute('#chart path.mean', 'd');
    expect((history ?? '').split('L').length).toBeGreaterThan(24); // ~72 hourly points
    expect((mean ?? '').split('L')).toHaveLength(24); // 24 forecast hours
    expect(band).toMatch(/^M.* Z$/);
    expect(await page.locator('#legend .model-badge').textContent()).toMatch(/^model \d{8}-\d{6}/);
    expect(await page.locator('#fleet tbody tr.selected').getAttribute('data-device')).toBe(
      'sim-002',
    );
    expect(pageErrors).toEqual([]);
    await mkdir(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(shot.byteLength).toBeGreaterThan(10_000);
  });

  it('selects a device by clicking it on the map', async () => {
    await page.click('#map .map-device[data-device="sim-003"] circle');
    await page.waitForFunction(
      () => document.querySelector('#chart-title')?.textContent?.startsWith('sim-003') ?? false,
    );
    expect(await page.inputValue('#device-select')).toBe('sim-003');
  });

  it('asks for a key when the one it has is refused', async () => {
    const other = await context.newPage();
    await other.goto(`${serving.runtime.apiUrl}/#key=wrong-key`);
    await other.waitForSelector('#key-form:not(.hidden)');
    expect(await other.locator('#key-reason').textContent()).toContain('refused');
    expect(await other.locator('#banner').textContent()).toContain('invalid API key');
    await other.close();
  });
});
