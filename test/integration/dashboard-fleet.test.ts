// Issue 12 in the browser: the dashboard against a runtime with 10,000 more devices in the lake.
// The table pages and searches through GET /devices (what it shows equals the API's pages), and
// the map clusters every device and zooms into a cluster on click. The lake is seeded through
// the real store as Firehose delivers it (500 devices' lines per object); the object-created
// events run update-context as deliveries do.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, type ServingRuntime, startServingRuntime } from './api-fixture.js';
import { seedFleet } from './dashboard-seed.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const EXTRA = 10_000;
let serving: ServingRuntime;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const pageErrors: string[] = [];

interface DevicePage {
  devices: Array<{ deviceId: string }>;
  total: number;
  nextCursor: string | null;
}

const api = async (path: string): Promise<DevicePage> => {
  const res = await fetch(`${serving.runtime.apiUrl}${path}`, {
    headers: { 'x-api-key': API_KEY },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as DevicePage;
};

const tableIds = () =>
  page.$$eval('#fleet tbody tr[data-device]', (rows) =>
    rows.map((r) => r.getAttribute('data-device')),
  );

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
  }
  serving = await startServingRuntime({ devices: 3, backfillHours: 24, deploy: false });
  await seedFleet(serving, EXTRA);
  profileDir = await mkdtemp(join(tmpdir(), 'smogcast-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(serving.runtime.dashboardUrl);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
}, 600_000);

afterAll(async () => {
  await context?.close();
  await serving?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

describe('dashboard with 10,003 devices', () => {
  it('shows the first page of GET /devices, not the whole fleet', async () => {
    // Act
    const first = await api('/devices?limit=50');
    // Assess
    expect(first.total).toBe(EXTRA + 3);
    expect(await tableIds()).toEqual(first.devices.map((d) => d.deviceId));
    expect(await page.getAttribute('#fleet-count', 'data-total')).toBe(String(EXTRA + 3));
    expect(await page.textContent('#fleet-count')).toBe('1–50 of 10,003 devices');
  });

  it('pages forward and back through the API cursor', async () => {
    // Prepare
    const first = await api('/devices?limit=50');
    const second = await api(`/devices?limit=50&cursor=${first.nextCursor}`);
    // Act
    await page.click('#fleet-next');
    await page.waitForFunction(
      (id) => document.querySelector('#fleet tbody tr')?.getAttribute('data-device') === id,
      second.devices[0]?.deviceId,
    );
    // Assess
    expect(await tableIds()).toEqual(second.devices.map((d) => d.deviceId));
    expect(await page.textContent('#fleet-count')).toBe('51–100 of 10,003 devices');
    await page.click('#fleet-prev');
    await page.waitForFunction(
      (id) => document.querySelector('#fleet tbody tr')?.getAttribute('data-device') === id,
      first.devices[0]?.deviceId,
    );
    expect(await tableIds()).toEqual(first.devices.map((d) => d.deviceId));
  });

  it('searches through the API: the matches and their count are the API answer', async () => {
    // Prepare
    const expected = await api('/devices?limit=50&q=fleet-0999');
    // Act
    await page.fill('#fleet-search', 'fleet-0999');
    await page.waitForFunction(
      (n) => document.querySelector('#fleet-count')?.getAttribute('data-total') === String(n),
      expected.total,
    );
    // Assess
    expect(expected.total).toBe(10);
    expect(await tableIds()).toEqual(expected.devices.map((d) => d.deviceId));
    expect(await page.isDisabled('#fleet-next')).toBe(true);
    // The map follows the search.
    await page.waitForSelector('#map[data-loaded="true"][data-points="10"]');
  });

  it('clusters every device on the map, and zooms into a cluster on click', async () => {
    // Act
    await page.fill('#fleet-search', '');
    await page.waitForSelector(`#map[data-loaded="true"][data-points="${EXTRA + 3}"]`, {
      timeout: 120_000,
    });
    // Assess: every device is in one marker, and the markers are few.
    const counts = await page.$$eval('#map .map-cluster', (gs) =>
      gs.map((g) => Number(g.getAttribute('data-count'))),
    );
    const singles = await page.locator('#map .map-device').count();
    expect(counts.reduce((s, n) => s + n, 0) + singles).toBe(EXTRA + 3);
    expect(counts.length + singles).toBeLessThanOrEqual(14 * 9);
    const biggest = Math.max(...counts);
    // Act: zoom into the biggest cluster (a DOM click on it: neighbours' markers may overlap it).
    await page.dispatchEvent(`#map .map-cluster[data-count="${biggest}"]`, 'click');
    await page.waitForSelector('#map-reset:not(.hidden)');
    // Assess: the table lists the devices in view, the map draws only those.
    const inView = Number(await page.getAttribute('#fleet-count', 'data-total'));
    expect(inView).toBeGreaterThanOrEqual(biggest);
    expect(inView).toBeLessThan(EXTRA + 3);
    expect(await page.getAttribute('#map', 'data-points')).toBe(String(inView));
    expect(await page.textContent('#fleet-count')).toContain('in the map view');
    // Act: back to the whole fleet.
    await page.click('#map-reset');
    // Assess
    expect(await page.getAttribute('#fleet-count', 'data-total')).toBe(String(EXTRA + 3));
    expect(await page.getAttribute('#map', 'data-points')).toBe(String(EXTRA + 3));
    expect(pageErrors).toEqual([]);
  });
});
