// The walking-skeleton engine: an honest probabilistic baseline. The point forecast repeats the
// last observed season (skipping gaps); the spread comes from the empirical distribution of its
// own in-sample errors, learned per metric (cat[1]) and per horizon step, so a 1-hour-ahead
// forecast and a 24-hours-ahead one get the uncertainty they really had on the training data.
import { NotEnoughDataError } from '../../core/errors.js';
import type { DeepArPrediction } from '../../core/ports.js';
import { median } from '../../core/stats.js';
import { ModelLoadError } from '../errors.js';
import { seasonLength } from './hyperparameters.js';
import { hasModelHeader, type ModelHeader, modelHeader } from './model-header.js';
import { metricKey, predictionOf } from './prediction.js';
import { gridQuantile, toGrid } from './quantile-grid.js';
import type { Forecaster, PredictConfig, Series } from './types.js';

export { gridQuantile } from './quantile-grid.js';

export const SEASONAL_NAIVE = 'seasonal-naive';

/** A metric needs this many residuals at every step to get its own distribution. */
export const MIN_RESIDUALS_PER_STEP = 50;
/** Bounds training cost on long series: at most this many forecast origins per series. */
const MAX_ORIGINS_PER_SERIES = 200;
/** How many seasons back a gap may be bridged before falling back to the last observation. */
const MAX_LOOKBACK_SEASONS = 7;
/** Step-to-step correlation of sample paths: seasonal-naive errors persist over hours. */
const PATH_CORRELATION = 0.8;

export interface SeasonalNaiveModel extends ModelHeader<typeof SEASONAL_NAIVE> {
  /** Residual grids per horizon step: [step][GRID_SIZE], sorted ascending. */
  residuals: { global: number[][]; byMetric: Record<string, number[][]> };
  /** Forecast level for an instance without any observation: the median of training values. */
  level: { global: number; byMetric: Record<string, number> };
}

const lastObserved = (target: ReadonlyArray<number | null>, end: number): number | undefined => {
  for (let i = end - 1; i >= 0; i--) {
    const v = target[i];
    if (v !== null && v !== undefined) return v;
  }
  return undefined;
};

/** Seasonal-naive point forecast of `steps` values after target[0..end). */
export const seasonalNaivePoint = (
  target: ReadonlyArray<number | null>,
  end: number,
  steps: number,
  season: number,
  fallback: number,
): number[] => {
  const last = lastObserved(target, end) ?? fallback;
  const out: number[] = [];
  for (let h = 1; h <= steps; h++) {
    const first = Math.ceil(h / season);
    let value: number | undefined;
    for (let k = first; k < first + MAX_LOOKBACK_SEASONS && value === undefined; k++) {
      const index = end + h - 1 - k * season;
      if (index < 0) break;
      value = target[index] ?? undefined;
    }
    out.push(value ?? last);
  }
  return out;
};

const collectResiduals = (
  series: Series,
  steps: number,
  season: number,
  pools: number[][],
): void => {
  const { target } = series;
  const firstOrigin = Math.min(season, target.length);
  const stride = Math.max(1, Math.ceil((target.length - firstOrigin) / MAX_ORIGINS_PER_SERIES));
  for (let origin = firstOrigin; origin < target.length; origin += stride) {
    if (lastObserved(target, origin) === undefined) continue;
    const point = seasonalNaivePoint(target, origin, steps, season, 0);
    for (let h = 0; h < steps && origin + h < target.length; h++) {
      const actual = target[origin + h];
      if (actual !== null && actual !== undefined) pools[h]?.push(actual - (point[h] ?? 0));
    }
  }
};

const train: Forecaster<SeasonalNaiveModel>['train'] = (seriesList, hyperparameters, seed) => {
  const steps = hyperparameters.predictionLength;
  const season = seasonLength(hyperparameters.timeFreq);
  const emptyPools = () => Array.from({ length: steps }, () => [] as number[]);
  const globalPools = emptyPools();
  const metricPools = new Map<string, number[][]>();
  const globalValues: number[] = [];
  const metricValues = new Map<string, number[]>();
  for (const series of seriesList) {
    const key = metricKey(series);
    const observed = series.target.filter((v): v is number => v !== null);
    globalValues.push(...observed);
    const pools = emptyPools();
    collectResiduals(series, steps, season, pools);
    pools.forEach((pool, h) => {
      globalPools[h]?.push(...pool);
    });
    if (key !== undefined) {
      const mine = metricPools.get(key) ?? emptyPools();
      pools.forEach((pool, h) => {
        mine[h]?.push(...pool);
      });
      metricPools.set(key, mine);
      metricValues.set(key, [...(metricValues.get(key) ?? []), ...observed]);
    }
  }
  if (globalPools.some((pool) => pool.length === 0)) {
    throw new NotEnoughDataError(
      `train channel has no series long enough to learn ${steps}-step errors: need observed values one season (${season} steps) and up to ${steps} steps after it`,
    );
  }
  const byMetric: Record<string, number[][]> = {};
  for (const [key, pools] of metricPools) {
    // Too few errors for a stable distribution: the metric uses the global pool instead.
    if (pools.every((pool) => pool.length >= MIN_RESIDUALS_PER_STEP))
      byMetric[key] = pools.map(toGrid);
  }
  const levelByMetric: Record<string, number> = {};
  for (const [key, values] of metricValues) levelByMetric[key] = median(values);
  return {
    ...modelHeader(SEASONAL_NAIVE, hyperparameters, season, seed),
    residuals: { global: globalPools.map(toGrid), byMetric },
    level: { global: median(globalValues), byMetric: levelByMetric },
  };
};

const isGridList = (value: unknown, steps: number): boolean =>
  Array.isArray(value) &&
  value.length === steps &&
  value.every((g) => Array.isArray(g) && g.length > 0 && g.every((v) => typeof v === 'number'));

const parse = (json: unknown): SeasonalNaiveModel => {
  const m = json as Partial<SeasonalNaiveModel> | null;
  const valid =
    hasModelHeader(m, SEASONAL_NAIVE) &&
    isGridList(m.residuals?.global, m.predictionLength) &&
    Object.values(m.residuals?.byMetric ?? {}).every((g) => isGridList(g, m.predictionLength)) &&
    typeof m.level?.global === 'number';
  if (!valid) {
    throw new ModelLoadError('model.json is not a seasonal-naive model (format 1)');
  }
  return m as SeasonalNaiveModel;
};

const predict = (
  model: SeasonalNaiveModel,
  instance: Series,
  config: PredictConfig,
): DeepArPrediction => {
  const key = metricKey(instance);
  const grids =
    (key !== undefined ? model.residuals.byMetric[key] : undefined) ?? model.residuals.global;
  const level = (key !== undefined ? model.level.byMetric[key] : undefined) ?? model.level.global;
  const steps = model.predictionLength;
  const point = seasonalNaivePoint(
    instance.target,
    instance.target.length,
    steps,
    model.seasonLength,
    level,
  );
  const grid = (h: number) => grids[h] ?? [];
  // Concentrations cannot be negative: every output is clamped at 0, the mean included.
  const at = (h: number, level: number) =>
    Math.max(0, (point[h] ?? 0) + gridQuantile(grid(h), level));
  const mean = (h: number) => {
    const p = point[h] ?? 0;
    const g = grid(h);
    return g.reduce((sum, r) => sum + Math.max(0, p + r), 0) / Math.max(1, g.length);
  };
  return predictionOf({ steps: point.length, at, mean, pathCorrelation: PATH_CORRELATION }, config);
};

export const seasonalNaive: Forecaster<SeasonalNaiveModel> = {
  engine: SEASONAL_NAIVE,
  train,
  parse,
  predict,
};
