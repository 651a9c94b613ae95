// The dashboard in a real headless Chromium (Debian's, driven by playwright-core) against a real
// local runtime with a week behind it (dashboard-history.ts): forecasts served and scored over
// seven days, two retrains, the second triggered by drift and deployed through an A/B test whose
// rounds moved the traffic until it won; every run at its simulated time. The page loads, a device can be
// chosen, the chart shows history and a forecast band, and every model view shows the numbers
// GET /accuracy, /runs and /models return; screenshots are saved under test/.artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DeviceAccuracyResponse,
  FleetAccuracyResponse,
  ModelsResponse,
  RunsResponse,
} from '../../core/accuracy.js';
import { S3ObjectStore } from '../../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../../functions/common/deps.js';
import { API_KEY } from './api-fixture.js';
import { type HistoryRuntime, startRuntimeWithHistory } from './dashboard-history.js';
import { recomputeFleetDaily } from './dashboard-recompute.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '.artifacts');

let serving: HistoryRuntime;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
  }
  serving = await startRuntimeWithHistory({ devices: 3 });
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
}, 400_000);

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
    const status = await getJson<{ canary: { state: string } }>('/status');
    expect(await page.locator('#canary .pill').textContent()).toBe(status.canary.state);
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

const getJson = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${serving.runtime.apiUrl}${path}`, {
    headers: { 'x-api-key': API_KEY },
  });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

const HOUR = 3_600_000;
const fixed = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits));

describe('model views against a week of scored forecasts, two retrains and an A/B test', () => {
  beforeAll(async () => {
    await page.goto(serving.runtime.dashboardUrl);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    await page.selectOption('#device-select', 'sim-002');
    await page.selectOption('#metric-select', 'pm25');
    await page.waitForFunction(() => {
      const title = document.querySelector('#bands-title')?.textContent ?? '';
      const chart = document.querySelector('#bands-chart') as SVGSVGElement | null;
      return (
        title.startsWith('sim-002') && title.includes('PM') && chart?.dataset.state === 'drawn'
      );
    });
    await page.waitForSelector('#coverage-chart[data-state="drawn"]');
    await page.waitForSelector('#registry-chart[data-state="drawn"]');
  }, 60_000);

  it('ran behind the page: drift started an A/B test, whose rounds moved the weights', async () => {
    const { runs } = await getJson<RunsResponse>('/runs?limit=20');
    const byId = new Map(runs.map((r) => [r.runId, r]));
    const drift = byId.get(serving.driftRun.runId);
    const rounds = serving.abRounds.map((r) => byId.get(r.runId));
    // The first run, the drift-triggered one, and the A/B rounds: each at its simulated time.
    expect(runs).toHaveLength(2 + rounds.length);
    const first = Date.parse(runs.at(-1)?.startedAt ?? '');
    expect(first).toBeLessThan(serving.clock.now() - 7 * 24 * HOUR);
    expect(Date.parse(drift?.startedAt ?? '') - first).toBeGreaterThanOrEqual(5 * 24 * HOUR);
    expect(drift?.outcome).toBe('ab-testing');
    expect(drift?.reasons.join('; ')).toMatch(/data drift: PSI\(/);
    expect(drift?.reasons.join('; ')).toContain('A/B test started');
    // Every round scored both variants and at least one moved the weights. The replay's readings
    // and its variant draws are the same whenever it runs; the test still states what each
    // outcome implies rather than which came, so a better engine may change the outcome.
    expect(rounds.length).toBeGreaterThanOrEqual(1);
    expect(rounds.every((r) => r?.ab !== null && r?.version === drift?.version)).toBe(true);
    expect(rounds.some((r) => r?.ab?.action === 'shift')).toBe(true);
    expect(rounds.slice(0, -1).every((r) => r?.outcome === 'ab-testing')).toBe(true);
    const last = rounds.at(-1);
    const outcomeOfLast =
      last?.ab?.action !== 'conclude'
        ? 'ab-testing'
        : last.ab.winner === 'challenger'
          ? 'promoted'
          : 'rejected';
    expect(last?.outcome).toBe(outcomeOfLast);
    expect(runs.filter((r) => r.outcome === 'promoted')).toHaveLength(
      outcomeOfLast === 'promoted' ? 2 : 1,
    );
    // Two versions trained: the first model and the drift run's challenger.
    expect(new Set(runs.map((r) => r.version)).size).toBe(2);
  });

  it('draws the past 7 days: for each hour the band of the newest forecast served for it, over what came', async () => {
    // Prepare: the API's served forecasts, newest last; each hour keeps the newest one's band.
    const body = await getJson<DeviceAccuracyResponse>(
      '/accuracy?deviceId=sim-002&metric=pm25&days=7',
    );
    const hours = new Map<
      number,
      { p10: number; p50: number; p90: number; actual: number | null }
    >();
    for (const f of body.served) {
      f.p10.forEach((p10, i) => {
        const p50 = f.p50[i] ?? null;
        const p90 = f.p90[i] ?? null;
        if (p10 === null || p50 === null || p90 === null) return;
        hours.set(Date.parse(f.start) + i * HOUR, { p10, p50, p90, actual: f.actual[i] ?? null });
      });
    }
    const scored = [...hours.values()].filter((h) => h.actual !== null);
    const inside = scored.filter(
      (h) => (h.actual as number) >= h.p10 && (h.actual as number) <= h.p90,
    );
    // Act
    const drawn = await page.$$eval('#bands-chart path.band', (paths) =>
      paths.map((p) => (p.getAttribute('d') ?? '').split('L').length),
    );
    const note = page.locator('#bands-note p.muted');
    // Assess: about six days of hours scored (the newest forecasts' hours are still to come).
    expect(scored.length).toBeGreaterThan(5 * 24);
    expect(Number(await page.getAttribute('#bands-chart', 'data-hours'))).toBe(hours.size);
    expect(drawn.reduce((n, points) => n + points / 2, 0)).toBe(hours.size);
    expect(Number(await note.getAttribute('data-scored'))).toBe(scored.length);
    expect(Number(await note.getAttribute('data-inside'))).toBe(inside.length);
    expect(await note.textContent()).toContain(
      `${hours.size} forecast hours, ${scored.length} with a reading; ${inside.length} inside the band`,
    );
  });

  it('shows realised wQL and 80% coverage per model version per day as GET /accuracy gives them', async () => {
    // Prepare: one line per version, per variant where a version served as two (the champion
    // of the A/B test): the API scores each variant apart.
    const { daily } = await getJson<FleetAccuracyResponse>('/accuracy?days=30');
    const versions = [...new Set(daily.map((d) => d.version))].sort();
    const variantsOf = (v: string) =>
      new Set(daily.filter((d) => d.version === v).map((d) => d.variant));
    const seriesOf = (d: (typeof daily)[number]) =>
      variantsOf(d.version).size > 1 ? `${d.version} · ${d.variant}` : d.version;
    // Act
    const rows = await page.$$eval('#accuracy-note tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
    const legend = await page.$$eval('#accuracy-note .swatch', (s) => s.map((e) => e.textContent));
    const wqlDots = await page.$$eval('#wql-chart circle.dot title', (t) =>
      t.map((e) => e.textContent),
    );
    const coverageDots = await page.$$eval('#coverage-chart circle.dot title', (t) =>
      t.map((e) => e.textContent),
    );
    // Assess: both versions served and were scored, on six or more days between them; the
    // challenger under its own variant during the A/B test.
    expect(versions).toHaveLength(2);
    expect(daily.some((d) => d.variant === 'challenger')).toBe(true);
    expect(daily.length).toBeGreaterThanOrEqual(6);
    expect(legend).toEqual([...new Set(daily.map(seriesOf))].sort());
    expect(rows.sort()).toEqual(
      daily
        .map((d) => [
          d.date,
          d.version,
          d.variant,
          fixed(d.meanWql, 3),
          d.coverage80 === null ? '—' : `${(100 * d.coverage80).toFixed(1)}%`,
        ])
        .sort(),
    );
    expect(wqlDots.sort()).toEqual(
      daily.map((d) => `${seriesOf(d)}: ${fixed(d.meanWql, 3)}`).sort(),
    );
    expect(coverageDots.sort()).toEqual(
      daily.map((d) => `${seriesOf(d)}: ${fixed(d.coverage80, 3)}`).sort(),
    );
  });

  it('serves realised accuracy that equals a recomputation from the lake: raw readings, served samples, pinball by hand', async () => {
    // Prepare
    const lake = new S3ObjectStore(createLocalS3Client(serving.runtime.s3Url), 'smogcast-lake');
    // Act
    const expected = await recomputeFleetDaily(lake);
    const { daily } = await getJson<FleetAccuracyResponse>('/accuracy?days=30');
    // Assess: the same days, versions and variants, each with the same figures.
    const key = (d: { date: string; version: string; variant: string }) =>
      `${d.date} ${d.version} ${d.variant}`;
    expect(daily.map(key).sort()).toEqual(expected.map(key).sort());
    expect(expected.filter((d) => d.variant === 'challenger').length).toBeGreaterThan(0);
    expect(expected.reduce((n, d) => n + d.points, 0)).toBeGreaterThan(500);
    const close = (a: number | null, b: number | null) =>
      a === null || b === null ? expect(a).toBe(b) : expect(a).toBeCloseTo(b, 5);
    for (const row of daily) {
      const e = expected.find((x) => key(x) === key(row));
      expect(row.points, key(row)).toBe(e?.points);
      close(row.wql.p10, e?.wql[0] ?? null);
      close(row.wql.p50, e?.wql[1] ?? null);
      close(row.wql.p90, e?.wql[2] ?? null);
      close(row.meanWql, e?.meanWql ?? null);
      close(row.coverage80, e?.coverage80 ?? null);
    }
  });

  it('charts PSI per metric per run with the values and threshold of GET /runs', async () => {
    const { runs } = await getJson<RunsResponse>('/runs?limit=20');
    const expected = runs.flatMap((r) =>
      Object.entries(r.psi).map(([metric, value]) => `${r.runId} ${metric} ${value}`),
    );
    const shown = await page.$$eval('#psi-chart rect.bar', (bars) =>
      bars.map(
        (b) =>
          `${b.getAttribute('data-run')} ${b.getAttribute('data-metric')} ${b.getAttribute('data-value')}`,
      ),
    );
    expect(expected.length).toBeGreaterThanOrEqual(6);
    expect(shown.sort()).toEqual(expected.sort());
    const threshold = runs.find((r) => r.runId === serving.driftRun.runId)?.psiThreshold ?? 0.2;
    expect(await page.getAttribute('#psi-chart', 'data-threshold')).toBe(String(threshold));
  });

  it('draws the registry as the timeline of GET /models, with each reason on hover', async () => {
    const { events } = await getJson<ModelsResponse>('/models');
    const shown = await page.$$eval('#registry-chart .event', (gs) =>
      gs.map((g) => ({
        event: `${g.getAttribute('data-version')} ${g.getAttribute('data-kind')}`,
        title: g.querySelector('title')?.textContent ?? '',
      })),
    );
    const { runs } = await getJson<RunsResponse>('/runs?limit=20');
    expect(events.filter((e) => e.kind === 'promoted')).toHaveLength(
      runs.filter((r) => r.outcome === 'promoted').length,
    );
    expect(events.filter((e) => e.kind === 'trained')).toHaveLength(2);
    expect(shown.map((s) => s.event).sort()).toEqual(
      events.map((e) => `${e.version} ${e.kind}`).sort(),
    );
    for (const e of events) {
      const title = shown.find((s) => s.event === `${e.version} ${e.kind}`)?.title ?? '';
      expect(title).toContain(`${e.version} ${e.kind} at ${e.at.replace('T', ' ').slice(0, 19)}`);
      if (e.reason) expect(title).toContain(e.reason);
    }
    expect(await page.locator('#registry-note tbody tr').count()).toBe(events.length);
  });

  it('shows the A/B rounds with the weights GET /runs reports', async () => {
    // Prepare: the runs that scored a round, oldest first.
    const { runs } = await getJson<RunsResponse>('/runs?limit=20');
    const rounds = runs
      .filter((r) => r.ab !== null)
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    // Act
    const bars = await page.$$eval('#ab-chart rect.weight', (rects) =>
      rects.map(
        (r) =>
          `${r.getAttribute('data-round')} ${r.getAttribute('data-variant')} ${r.getAttribute('data-value')}`,
      ),
    );
    const rows = await page.$$eval('#ab-note tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
    );
    // Assess: one stacked bar and one table row per round, in order, with its weights.
    expect(rounds.map((r) => r.runId)).toEqual(serving.abRounds.map((r) => r.runId));
    // The test started at 0.5 each; a round that shifted left it elsewhere.
    expect(rounds.some((r) => r.ab?.challengerWeight !== 0.5)).toBe(true);
    expect(bars).toEqual(
      rounds.flatMap((r) => [
        `${r.runId} champion ${r.ab?.championWeight}`,
        `${r.runId} challenger ${r.ab?.challengerWeight}`,
      ]),
    );
    expect(rows).toEqual(
      rounds.map((r) => [
        r.runId,
        r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        (r.ab?.championWeight ?? Number.NaN).toFixed(2),
        (r.ab?.challengerWeight ?? Number.NaN).toFixed(2),
      ]),
    );
  });

  it('shows each run state with the start, end and duration GET /runs gives', async () => {
    const { runs } = await getJson<RunsResponse>('/runs?limit=20');
    const shown = await page.$$eval('#run-states .run-timeline', (els) =>
      els.map((e) => ({
        run: e.getAttribute('data-run'),
        total: Number(e.querySelector('.run-total')?.getAttribute('data-ms')),
        spans: Array.from(e.querySelectorAll('.state-span')).map(
          (s) => `${s.getAttribute('data-state')} ${s.getAttribute('data-duration-ms')}`,
        ),
      })),
    );
    const expected = runs.slice(0, 10).map((r) => ({
      run: r.runId,
      total: Date.parse(r.finishedAt ?? '') - Date.parse(r.startedAt),
      spans: [...r.states]
        .sort((a, b) => Date.parse(a.startedAt ?? '') - Date.parse(b.startedAt ?? ''))
        .map((s) => `${s.name} ${Date.parse(s.endedAt ?? '') - Date.parse(s.startedAt ?? '')}`),
    }));
    expect(expected).toHaveLength(2 + serving.abRounds.length);
    expect(expected.every((r) => r.spans.length > 3 && r.total > 0)).toBe(true);
    expect(shown).toEqual(expected);
  });

  it('stays readable at phone width: nothing overflows, tables scroll inside their cards', async () => {
    // Act
    await page.setViewportSize({ width: 390, height: 900 });
    await page.waitForFunction(
      () => Number(document.querySelector('#psi-chart')?.getAttribute('width')) < 390,
    );
    await page.waitForFunction(
      () => Number(document.querySelector('#bands-chart')?.getAttribute('width')) < 390,
    );
    // Assess: the page does not scroll sideways; every chart fits its card; a table wider than
    // its card sits in a box that scrolls and itself fits the card.
    const overflow = await page.evaluate(() => {
      const bad: string[] = [];
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth > width)
        bad.push(`page ${document.documentElement.scrollWidth}`);
      for (const card of Array.from(document.querySelectorAll('main > section'))) {
        const right = card.getBoundingClientRect().right;
        if (right > width + 0.5) bad.push(`${card.id || card.className} ${right}`);
        for (const chart of Array.from(card.querySelectorAll('svg'))) {
          const r = chart.getBoundingClientRect().right;
          if (r > right + 0.5)
            bad.push(`${chart.id || chart.getAttribute('class')} ${r} > ${right}`);
        }
        for (const table of Array.from(card.querySelectorAll('table'))) {
          if (table.getBoundingClientRect().right <= right + 0.5) continue;
          const box = table.closest('.table-scroll');
          const scrolls = box && getComputedStyle(box).overflowX === 'auto';
          if (!scrolls || box.getBoundingClientRect().right > right + 0.5) {
            bad.push(`${table.id || table.className} not in a scrolling box`);
          }
        }
      }
      return bad;
    });
    expect(overflow).toEqual([]);
    await mkdir(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({
      path: join(ARTIFACTS, 'dashboard-phone.png'),
      fullPage: true,
    });
    expect(shot.byteLength).toBeGreaterThan(10_000);
    await page.setViewportSize({ width: 1280, height: 1100 });
    expect(pageErrors).toEqual([]);
  });
});
