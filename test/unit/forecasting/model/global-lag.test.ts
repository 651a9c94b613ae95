import { describe, expect, it } from 'vitest';
import { naive } from '../../../../bench/accuracy/baselines.js';
import { globalLag, MIN_ROWS_PER_GROUP, POOLED } from '../../../../forecasting/model/global-lag.js';
import { parseHyperparameters } from '../../../../forecasting/model/hyperparameters.js';
import { seasonalNaive } from '../../../../forecasting/model/seasonal-naive.js';
import type { PredictConfig, Series } from '../../../../forecasting/model/types.js';
import { HYPERPARAMETERS, syntheticSeries } from '../synthetic.js';

const hyperparameters = parseHyperparameters(HYPERPARAMETERS);
const STEPS = 24;
const QUANTILES: PredictConfig = {
  outputTypes: ['mean', 'quantiles'],
  quantiles: [
    { key: '0.1', level: 0.1 },
    { key: '0.5', level: 0.5 },
    { key: '0.9', level: 0.9 },
  ],
  numSamples: 10,
  seed: 1,
};

const toSeries = (lines: ReturnType<typeof syntheticSeries>): Series[] =>
  lines.map((line) => ({
    start: line.start,
    cat: line.cat,
    target: line.target.map((v) => (v === 'NaN' ? null : v)),
  }));

/** Pollution-like series: persistent episodes (AR(1) in logs) on a daily cycle. */
const episodic = (devices: number, hours: number, seed: number): Series[] => {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: devices }, (_, d) => {
    let episode = 0;
    const target = Array.from({ length: hours }, (_, t) => {
      episode = 0.95 * episode + 0.25 * gauss();
      const value = Math.exp(3.5 + 0.3 * Math.sin((2 * Math.PI * t) / 24) + episode);
      return t % 53 === 7 ? null : Math.round(value * 10) / 10;
    });
    return { start: '2024-01-01 00:00:00', target, cat: [d, 0] };
  });
};

/** wQL over 0.1/0.5/0.9 and 80% coverage of `steps`-ahead forecasts at daily origins. */
const backtest = (
  predict: (history: Series) => Record<string, number[]>,
  series: Series[],
  origins: number[],
) => {
  let loss = 0;
  let total = 0;
  let covered = 0;
  let points = 0;
  for (const s of series) {
    for (const origin of origins) {
      const q = predict({ ...s, target: s.target.slice(0, origin) });
      for (let h = 0; h < STEPS; h++) {
        const y = s.target[origin + h];
        if (y === null || y === undefined) continue;
        for (const level of [0.1, 0.5, 0.9]) {
          const e = q[String(level)]?.[h] ?? 0;
          loss += 2 * Math.abs((y - e) * ((y <= e ? 1 : 0) - level));
        }
        total += y;
        points++;
        if (y >= (q['0.1']?.[h] ?? 0) && y <= (q['0.9']?.[h] ?? 0)) covered++;
      }
    }
  }
  return { wql: loss / 3 / total, coverage: covered / points };
};

describe('globalLag', () => {
  it('beats the seasonal-naive baseline on held-out days of persistent, seasonal series', () => {
    // Prepare: 6 devices x 60 days; train on the first 45 days, test on daily origins after
    const all = episodic(6, 24 * 60, 5);
    const cut = 24 * 45;
    const train = all.map((s) => ({ ...s, target: s.target.slice(0, cut) }));
    const origins = Array.from({ length: 14 }, (_, k) => cut + 24 * k);
    const engine = globalLag.train(train, hyperparameters, 1);
    const baseline = seasonalNaive.train(train, hyperparameters, 1);

    // Act
    const ours = backtest(
      (h) => globalLag.predict(engine, h, QUANTILES).quantiles ?? {},
      all,
      origins,
    );
    const theirs = backtest(
      (h) => seasonalNaive.predict(baseline, h, QUANTILES).quantiles ?? {},
      all,
      origins,
    );

    // Assess
    expect(ours.wql).toBeLessThan(0.9 * theirs.wql);
    expect(ours.coverage).toBeGreaterThan(0.7);
    expect(ours.coverage).toBeLessThan(0.9);
  });

  it('trained on 3 days, is no worse than naive with honest coverage on the days after', () => {
    // Prepare: 6 devices; the last 3 days before the cut are all the training data there is
    const all = episodic(6, 24 * 20, 11);
    const from = 24 * 10;
    const cut = 24 * 13;
    const young = all.map((s) => ({ ...s, target: s.target.slice(from) }));
    const train = young.map((s) => ({ ...s, target: s.target.slice(0, cut - from) }));
    const origins = Array.from({ length: 6 }, (_, k) => cut - from + 24 * k);
    const engine = globalLag.train(train, hyperparameters, 1);

    // Act
    const ours = backtest(
      (h) => globalLag.predict(engine, h, QUANTILES).quantiles ?? {},
      young,
      origins,
    );
    const theirs = backtest(
      (h) => {
        const f = naive(h.target, STEPS);
        return { '0.1': f.q10, '0.5': f.q50, '0.9': f.q90 };
      },
      young,
      origins,
    );

    // Assess
    // (the held-out day is little evidence: the days served after it choose the weights)
    expect(ours.wql).toBeLessThanOrEqual(theirs.wql);
    expect(ours.coverage).toBeGreaterThan(0.7);
    expect(ours.coverage).toBeLessThan(0.9);
  });

  it('clips a runaway forecast to three times the highest value observed', () => {
    // Prepare: a model whose intercepts are corrupted to e^50
    const series = toSeries(syntheticSeries({ devices: 2, metrics: 1, hours: 24 * 6 }));
    const model = globalLag.train(series, hyperparameters, 0);
    for (const group of Object.values(model.groups)) {
      for (const step of group.steps) step.coef[0] = 50;
      group.blend = undefined;
    }
    const history = series[0]?.target ?? [];
    const highest = Math.max(...history.filter((v): v is number => v !== null));

    // Act
    const instance = series[0] as Series;
    const q = globalLag.predict(model, instance, QUANTILES).quantiles;

    // Assess
    for (const value of q?.['0.9'] ?? []) {
      expect(value).toBeLessThanOrEqual(3 * (1 + highest) - 1 + 1e-6);
    }
  });

  it('still loads and serves an artifact without ranges or blend (older format 1)', () => {
    // Prepare
    const series = toSeries(syntheticSeries({ devices: 2, metrics: 1, hours: 24 * 6 }));
    const model = globalLag.train(series, hyperparameters, 0);
    const old = JSON.parse(JSON.stringify(model));
    for (const group of Object.values(old.groups) as Array<Record<string, unknown>>) {
      for (const key of ['pointRange', 'scaleRange', 'zRange', 'blend', 'trees', 'treeShare'])
        delete group[key];
    }

    // Act
    const parsed = globalLag.parse(old);
    const q = globalLag.predict(parsed, series[0] as Series, QUANTILES).quantiles;

    // Assess
    expect(q?.['0.5']).toHaveLength(STEPS);
    expect(q?.['0.5']?.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('corrects the ridge with boosted trees where the held-out tail supports it', () => {
    // Prepare: episodes that only ever rise (a kink in logs: persistence the ridge cannot fit)
    const series = episodic(6, 24 * 60, 3).map((s) => ({
      ...s,
      target: s.target.map((v) => (v === null ? null : Math.max(v, 40) ** 2 / 40)),
    }));

    // Act
    const model = globalLag.train(series, hyperparameters, 1);
    const group = model.groups['0'] ?? model.groups[POOLED];

    // Assess: trees fitted, a share per step from the held-out grid, some of it taken up
    expect(group?.trees?.trees.length).toBeGreaterThan(0);
    expect(group?.treeShare).toHaveLength(STEPS);
    for (const share of group?.treeShare ?? []) expect([0, 0.25, 0.5, 0.75, 1]).toContain(share);
    expect(Math.max(...(group?.treeShare ?? [0]))).toBeGreaterThan(0);
    expect(globalLag.parse(JSON.parse(JSON.stringify(model)))).toEqual(model);
  });

  it('refuses an artifact whose trees are malformed', () => {
    const series = episodic(4, 24 * 30, 9);
    const model = JSON.parse(JSON.stringify(globalLag.train(series, hyperparameters, 1)));
    const group = Object.values(model.groups).find((g) => (g as { trees?: unknown }).trees) as {
      trees: { trees: Array<{ left: number[] }> };
    };
    const tree = group.trees.trees[0];
    if (tree) tree.left[0] = 0;
    expect(() => globalLag.parse(model)).toThrow(/not a global-lag model/);
  });

  it('records how many seasons the held-out tail spanned (0 when calibrated in-sample)', () => {
    // Prepare: 10 days hold out 30% (3 days); 1 day leaves nothing to hold out
    const tenDays = episodic(2, 24 * 10, 3);
    const oneDay = tenDays.map((s) => ({ ...s, target: s.target.slice(0, 24) }));

    // Act
    const held = globalLag.train(tenDays, hyperparameters, 1);
    const young = globalLag.train(oneDay, hyperparameters, 1);

    // Assess
    expect(held.groups[POOLED]?.blend?.seasons).toBe(3);
    expect(young.groups[POOLED]?.blend?.seasons).toBe(0);
  });

  it('records where its training data ends', () => {
    // Prepare: series of 10 and 8 days from the same start
    const series = episodic(2, 24 * 10, 3);
    const shorter = series.map((s, i) =>
      i === 1 ? { ...s, target: s.target.slice(0, 24 * 8) } : s,
    );

    // Act
    const model = globalLag.train(shorter, hyperparameters, 1);

    // Assess: just after the last hour of the longest series
    expect(model.trainedUntilMs).toBe(Date.parse('2024-01-01T00:00:00Z') + 240 * 3_600_000);
  });

  it('re-chooses its blend only on history it was not trained on (in-sample replay flatters it)', () => {
    // Prepare: 10 days (3 held out); a training series spans 9 seasons, > 2x the held-out 3
    const series = episodic(2, 24 * 10, 3);
    const model = globalLag.train(series, hyperparameters, 1);
    const pooled = model.groups[POOLED];
    const heldOutOnly = {
      ...model,
      groups: { [POOLED]: { ...pooled, blend: { ...pooled?.blend, seasons: undefined } } },
    };
    const untimed = globalLag.parse(
      JSON.parse(JSON.stringify({ ...model, trainedUntilMs: undefined })),
    );
    const instance = series[0] as Series;

    // Act
    const served = globalLag.predict(model, instance, QUANTILES).quantiles;
    const held = globalLag.predict(globalLag.parse(heldOutOnly), instance, QUANTILES).quantiles;
    const replayed = globalLag.predict(untimed, instance, QUANTILES).quantiles;

    // Assess: wholly seen in training, the instance gets the held-out blend and grids; an older
    // artifact (no training end) still loads and replays the whole instance, as it used to
    expect(served).toEqual(held);
    expect(replayed).not.toEqual(served);
    expect(replayed?.['0.5']?.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('is deterministic: the same data gives the identical model', () => {
    // Prepare
    const series = toSeries(syntheticSeries({ hours: 24 * 10 }));

    // Act
    const first = JSON.stringify(globalLag.train(series, hyperparameters, 9));
    const second = JSON.stringify(globalLag.train(series, hyperparameters, 9));

    // Assess
    expect(second).toBe(first);
  });

  it('trains on a few days with gaps, and serves a device it has never seen', () => {
    // Prepare: 3 days of history, every 37th hour missing
    const series = toSeries(syntheticSeries({ devices: 2, metrics: 2, hours: 72 }));
    const model = globalLag.train(series, hyperparameters, 0);

    // Act
    const empty = globalLag.predict(
      model,
      { start: '2024-02-01 00:00:00', target: [], cat: [99, 1] },
      QUANTILES,
    );
    const gappy = globalLag.predict(
      model,
      { start: '2024-02-01 00:00:00', target: [null, 30, null, null, 28, null], cat: [99, 0] },
      QUANTILES,
    );

    // Assess
    for (const prediction of [empty, gappy]) {
      const q = prediction.quantiles ?? {};
      expect(q['0.1']).toHaveLength(STEPS);
      for (let h = 0; h < STEPS; h++) {
        const lo = q['0.1']?.[h] ?? Number.NaN;
        const mid = q['0.5']?.[h] ?? Number.NaN;
        const hi = q['0.9']?.[h] ?? Number.NaN;
        expect(Number.isFinite(lo) && Number.isFinite(hi)).toBe(true);
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(lo).toBeLessThanOrEqual(mid);
        expect(mid).toBeLessThanOrEqual(hi);
      }
      expect(prediction.mean?.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    }
    // The unseen device lands near its metric's typical level (synthetic metric 1 is about 35).
    expect(empty.quantiles?.['0.5']?.[0]).toBeGreaterThan(15);
    expect(empty.quantiles?.['0.5']?.[0]).toBeLessThan(70);
  });

  it('gives a metric its own regressions only with enough rows, else the pooled ones', () => {
    // Prepare: 2 devices x 3 days -> fewer rows per step than MIN_ROWS_PER_GROUP
    const small = toSeries(syntheticSeries({ devices: 2, metrics: 2, hours: 72 }));
    const large = toSeries(syntheticSeries({ devices: 4, metrics: 2, hours: 24 * 14 }));

    // Act
    const fromSmall = globalLag.train(small, hyperparameters, 0);
    const fromLarge = globalLag.train(large, hyperparameters, 0);

    // Assess
    expect(Object.keys(fromSmall.groups)).toEqual([POOLED]);
    expect(Object.keys(fromLarge.groups).sort()).toEqual([POOLED, '0', '1'].sort());
    expect(fromLarge.groups['0']?.rows).toBeGreaterThanOrEqual(MIN_ROWS_PER_GROUP);
  });

  it('draws num_samples reproducible sample paths for a seed', () => {
    // Prepare
    const model = globalLag.train(toSeries(syntheticSeries({})), hyperparameters, 0);
    const instance = toSeries(
      syntheticSeries({ devices: 1, metrics: 1, hours: 48, seed: 3 }),
    )[0] as Series;
    const config: PredictConfig = {
      ...QUANTILES,
      outputTypes: ['samples'],
      numSamples: 7,
      seed: 5,
    };

    // Act
    const first = globalLag.predict(model, instance, config).samples;
    const second = globalLag.predict(model, instance, config).samples;
    const other = globalLag.predict(model, instance, { ...config, seed: 6 }).samples;

    // Assess
    expect(first).toHaveLength(7);
    expect(first?.[0]).toHaveLength(STEPS);
    expect(second).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('trained on one observation, forecasts naive with bands that widen with the step', () => {
    // Prepare: one observation per series cannot teach a 24-step regression
    const series: Series[] = [{ start: '2024-01-01 00:00:00', target: [5], cat: [0, 0] }];
    const model = globalLag.train(series, hyperparameters, 0);
    const instance: Series = { start: '2024-01-02 00:00:00', target: [10, 12, 9, 11], cat: [0, 0] };

    // Act
    const q = globalLag.predict(model, instance, QUANTILES).quantiles ?? {};

    // Assess
    expect(q['0.5']?.[0]).toBeCloseTo(11, 6);
    expect(q['0.5']?.[23]).toBeCloseTo(11, 6);
    const width = (h: number) => (q['0.9']?.[h] ?? 0) - (q['0.1']?.[h] ?? 0);
    expect(width(0)).toBeGreaterThan(0);
    expect(width(23)).toBeGreaterThan(2 * width(0));
  });

  it('refuses to train without a single series', () => {
    // Act
    const attempt = () => globalLag.train([], hyperparameters, 0);

    // Assess
    expect(attempt).toThrow(/NotEnoughData|no series/);
  });

  it.each([
    ['another engine', { engine: 'seasonal-naive' }],
    [
      'a truncated model',
      {
        engine: 'global-lag',
        formatVersion: 1,
        predictionLength: 24,
        seasonLength: 24,
        timeFreq: 'H',
        groups: {},
      },
    ],
  ])('rejects %s on load', (_name, json) => {
    // Act
    const attempt = () => globalLag.parse(json);

    // Assess
    expect(attempt).toThrow(/not a global-lag model/);
  });
});
