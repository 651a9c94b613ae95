// `npm run screenshots`: the dashboard's views as PNGs under docs/, taken in Debian's Chromium
// from the runtime the browser tests use (3 simulated devices, two retrain runs, 10,000 seeded
// devices for the map). Laptop (1280 px) and phone (390 px) widths.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServingRuntime } from './api-fixture.js';
import { seedFleet, seedNewReadings } from './dashboard-seed.js';

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

const main = async () => {
  const serving = await startServingRuntime({ devices: 3 });
  const profile = await mkdtemp(join(tmpdir(), 'smogcast-chromium-'));
  try {
    await seedNewReadings(serving);
    await serving.runtime.retrain({ maxModelAgeHours: 0.0001 });
    await seedFleet(serving, 10_000);
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
