// `npm run screenshots`: the dashboard's views as PNGs under docs/, taken in Debian's Chromium
// from the runtime the browser test uses (dashboard-history.ts: 3 simulated devices, a week of
// served and scored forecasts, two retrains, the second triggered by drift and A/B-tested against
// the champion round by round), plus 10,000 seeded devices for the map. Laptop (1280 px) and
// phone (390 px) widths.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startRuntimeWithHistory } from './dashboard-history.js';
import { seedFleet } from './dashboard-seed.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const VIEWS: Array<[string, string]> = [
  ['fleet', 'section.fleet'],
  ['forecast', 'section.chart'],
  ['bands', '#view-bands'],
  ['accuracy', '#view-accuracy'],
  ['psi', '#view-psi'],
  ['registry', '#view-registry'],
  ['ab', '#view-ab'],
  ['states', '#view-states'],
];

/** A simulated device (the seeded ones sort first): found by search, chosen in the table. */
const chooseDevice = async (page: Page, deviceId: string) => {
  await page.fill('#fleet-search', deviceId);
  await page.click(`#fleet tbody tr[data-device="${deviceId}"]`);
  await page.fill('#fleet-search', '');
  await page.waitForFunction(
    (id) =>
      (document.querySelector('#bands-title')?.textContent ?? '').startsWith(id) &&
      (document.querySelector('#bands-chart') as SVGSVGElement | null)?.dataset.state === 'drawn' &&
      (document.querySelector('#chart') as SVGSVGElement | null)?.dataset.state === 'forecast',
    deviceId,
    { timeout: 30_000 },
  );
  await page.waitForSelector('#coverage-chart[data-state="drawn"]');
};

const main = async () => {
  const serving = await startRuntimeWithHistory({ devices: 3 });
  const profile = await mkdtemp(join(tmpdir(), 'smogcast-chromium-'));
  try {
    await seedFleet(serving, 10_000, 500, serving.clock.now());
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(serving.runtime.dashboardUrl);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 60_000 });
    await page.waitForSelector('#map[data-loaded="true"]', { timeout: 120_000 });
    for (const [name, selector] of VIEWS) {
      if (name === 'forecast') await chooseDevice(page, 'sim-001');
      const path = join(DOCS, `dashboard-${name}.png`);
      await page.locator(selector).screenshot({ path });
      console.log(path);
    }
    await page.setViewportSize({ width: 390, height: 900 });
    await page.waitForTimeout(500); // the resize redraw is debounced
    const phone = join(DOCS, 'dashboard-phone.png');
    await page.screenshot({ path: phone, fullPage: true });
    console.log(phone);
    await context.close();
  } finally {
    await serving.close();
    await rm(profile, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
