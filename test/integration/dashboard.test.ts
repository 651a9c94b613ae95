// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against a real
// local runtime with a deployed model: the page loads, a device can be chosen, the chart shows
// history and a forecast band; a screenshot is saved under test/.artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, type ServingRuntime, startServingRuntime } from './api-fixture.js';
import { seedNewReadings } from './dashboard-seed.js';

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
}, 300_000);

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
    await page.waitForSelector('#map[data-loaded="true"]');
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

interface StatusBody {
  runs: Array<{
    runId: string;
    startedAt?: string;
    finishedAt?: string;
    drift?: { psi?: Record<string, number> } | null;
  }>;
  registry: Array<{ version: string; outcome: string | null }>;
}

const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(`${serving.runtime.apiUrl}${path}`, {
    headers: { 'x-api-key': API_KEY },
  });
  return { status: res.status, body: (await res.json()) as T };
};

describe('model views in headless Chromium', () => {
  beforeAll(async () => {
    // New readings after the champion's training window, then a second run: the drift check
    // has a champion and enough new readings to report PSI; a tiny maximum model age forces training.
    await seedNewReadings(serving);
    await serving.runtime.retrain({ maxModelAgeHours: 0.0001 });
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    await page.waitForSelector('#registry-chart[data-state="drawn"]');
  }, 300_000);

  it('draws the registry as a timeline of the versions and outcomes /status gives', async () => {
    // Prepare
    const { body } = await getJson<StatusBody>('/status');
    // Act
    const shown = await page.$$eval('#registry-chart .event', (gs) =>
      gs.map((g) => `${g.getAttribute('data-version')} ${g.getAttribute('data-kind')}`),
    );
    // Assess
    expect(body.registry.length).toBeGreaterThanOrEqual(2);
    for (const entry of body.registry) {
      expect(shown).toContain(`${entry.version} ${entry.outcome}`);
    }
    expect(await page.locator('#registry-note tbody tr').count()).toBe(shown.length);
  });

  it('shows each run with its duration as /status records it', async () => {
    const { body } = await getJson<StatusBody>('/status');
    const shown = await page.$$eval('#run-states .run-timeline', (runs) =>
      runs.map((r) => [
        r.getAttribute('data-run'),
        Number(r.querySelector('.run-total')?.getAttribute('data-ms')),
      ]),
    );
    const expected = body.runs
      .slice(0, 10)
      .filter((r) => r.startedAt && r.finishedAt)
      .map((r) => [r.runId, Date.parse(r.finishedAt ?? '') - Date.parse(r.startedAt ?? '')]);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(shown).toEqual(expected);
  });

  it('charts PSI per metric per run with the values of the drift reports', async () => {
    // Prepare
    const { body } = await getJson<StatusBody>('/status');
    const expected = body.runs.flatMap((r) =>
      Object.entries(r.drift?.psi ?? {}).map(([metric, value]) => `${r.runId} ${metric} ${value}`),
    );
    // Act
    const shown = await page.$$eval('#psi-chart rect.bar', (bars) =>
      bars.map(
        (b) =>
          `${b.getAttribute('data-run')} ${b.getAttribute('data-metric')} ${b.getAttribute('data-value')}`,
      ),
    );
    // Assess
    expect(expected.length).toBeGreaterThan(0);
    expect(shown.sort()).toEqual(expected.sort());
    expect(await page.getAttribute('#psi-chart', 'data-threshold')).toBe('0.2');
  });

  it('keeps the views readable at phone width: charts redraw narrower, tables scroll', async () => {
    // Act
    await page.setViewportSize({ width: 390, height: 900 });
    await page.waitForFunction(
      () => Number(document.querySelector('#psi-chart')?.getAttribute('width')) < 390,
    );
    // Assess
    const widths = await page.$$eval('main > section', (cards) =>
      cards.map((c) => c.getBoundingClientRect().right),
    );
    expect(Math.max(...widths)).toBeLessThanOrEqual(390);
    expect(
      await page
        .locator('#fleet')
        .evaluate((t) => getComputedStyle(t.parentElement as Element).overflowX),
    ).toBe('auto');
    await page.setViewportSize({ width: 1280, height: 1100 });
    expect(pageErrors).toEqual([]);
  });

  // Needs GET /accuracy, /runs and /models (the accuracy and history endpoints); without them the
  // views fall back to /status, which the tests above check.
  it('shows the realised accuracy, A/B rounds and per-state times that the history API returns', async (ctx) => {
    const accuracy = await getJson<unknown>('/accuracy?days=30');
    const runs = await getJson<{ runs: Array<Record<string, unknown>> }>('/runs?limit=20');
    if (accuracy.status === 404 && runs.status === 404) ctx.skip();
    expect(accuracy.status).toBe(200);
    expect(runs.status).toBe(200);
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]');
    await page.waitForSelector('#coverage-chart[data-state]');
    // Each day and version the API scored is a row, with the API's wQL and coverage.
    const { dailyAccuracy, runTimelines } = await import('../../dashboard/src/views-data.js');
    const daily = dailyAccuracy(accuracy.body);
    const rows = await page.$$eval('#accuracy-note tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
    );
    expect(rows).toHaveLength(daily.length);
    if (daily.length === 0) {
      expect(await page.textContent('#accuracy-note')).toContain('no realised accuracy yet');
    }
    for (const d of daily) {
      expect(rows).toContainEqual([
        new Date(d.t).toISOString().slice(0, 10),
        d.version,
        d.wql === null ? '—' : d.wql.toFixed(3),
        d.coverage80 === null ? '—' : `${(100 * d.coverage80).toFixed(1)}%`,
      ]);
    }
    // Per-state spans with the API's durations.
    const timelines = runTimelines(runs.body).slice(0, 10);
    expect(timelines.some((t) => t.perState)).toBe(true);
    const spans = await page.$$eval('#run-states .run-timeline', (els) =>
      els.map((e) =>
        Array.from(e.querySelectorAll('.state-span')).map((s) =>
          Number(s.getAttribute('data-duration-ms')),
        ),
      ),
    );
    expect(spans).toEqual(
      timelines.map((t) =>
        [...t.states].sort((a, b) => a.start - b.start).map((s) => (s.end ?? Date.now()) - s.start),
      ),
    );
  });
});
