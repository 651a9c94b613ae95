// The default engine: one global model learned across every device (as DeepAR is), with a
// direct regression per metric and horizon step on lag and seasonal features in log space, and
// calibrated quantiles. The spread is heteroscedastic: a second regression predicts the size of
// the error from recent volatility and how unusual the present is, and the quantiles are the
// empirical quantiles of the errors divided by that predicted size (split-conformal style, on
// the training residuals). Quantiles survive the monotone log transform, so they are exact in
// the original units. Metrics with little data fall back to the model pooled over all metrics.
import { NotEnoughDataError } from '../../core/errors.js';
import { median } from '../../core/stats.js';
import {
  calendarOf,
  fromZ,
  type OriginState,
  originState,
  POINT_FEATURES,
  pointFeatures,
  SCALE_FEATURES,
  type SeriesView,
  scaleFeatures,
  startPhase,
  viewSeries,
} from '../data/features.js';
import { ModelLoadError } from '../errors.js';
import { seasonLength } from './hyperparameters.js';
import { hasModelHeader, type ModelHeader, modelHeader } from './model-header.js';
import { metricKey, predictionOf } from './prediction.js';
import { GRID_SIZE, gridQuantile, toGrid } from './quantile-grid.js';
import { dot, RidgeAccumulator } from './ridge.js';
import type { Forecaster, PredictConfig, Series } from './types.js';

export const GLOBAL_LAG = 'global-lag';

/** The group every series belongs to, whatever its metric. */
export const POOLED = '*';
/** A metric gets its own regressions once it has this many training rows per step. */
export const MIN_ROWS_PER_GROUP = 500;
/** Bounds training cost on long series: at most this many forecast origins per series. */
const MAX_ORIGINS_PER_SERIES = 2500;
/** Room (in log units) around the scale range seen in training. */
const SCALE_RANGE_MARGIN = 1;
/** Bounds the residual pools the quantile grids are built from. */
const MAX_POOL = 40_000;
/** Ridge penalty: negligible for big data, keeps a few days of data from overfitting. */
const LAMBDA = 1;
/** Floor inside log |residual|: exact hits would otherwise pull the scale model to -inf. */
const RESIDUAL_FLOOR = 0.01;
/** Step-to-step correlation of sample paths: forecast errors persist over hours. */
const PATH_CORRELATION = 0.9;

export interface StepModel {
  coef: number[];
  scaleCoef: number[];
  /** log-scale clamp seen in training, so an odd instance cannot blow the spread up. */
  logScaleRange: [number, number];
  /** Standardised residual quantile grid (GRID_SIZE points, ascending). */
  grid: number[];
}

export interface GroupModel {
  /** Typical z of the group: the level of an instance without any observation. */
  level: number;
  rows: number;
  steps: StepModel[];
}

export interface GlobalLagModel extends ModelHeader<typeof GLOBAL_LAG> {
  groups: Record<string, GroupModel>;
}

interface Prepared {
  view: SeriesView;
  groups: string[];
  origins: number[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Origins spread evenly, with a stride coprime to the season so every phase is visited. */
const originsOf = (length: number, season: number, steps: number): number[] => {
  const first = Math.min(season, Math.max(1, length - steps));
  const span = length - first;
  if (span <= 0) return [];
  let stride = Math.max(1, Math.ceil(span / MAX_ORIGINS_PER_SERIES));
  while (stride > 1 && gcd(stride, season) !== 1) stride++;
  const origins: number[] = [];
  for (let t = first; t < length; t += stride) origins.push(t);
  return origins;
};

type RowVisitor = (
  item: Prepared,
  origin: OriginState,
  h: number,
  x: Float64Array,
  y: number,
) => void;

/** Every training row: (series, origin, step) whose target is observed. */
const forEachRow = (
  prepared: Prepared[],
  levels: Record<string, number>,
  steps: number,
  visit: RowVisitor,
): void => {
  const x = new Float64Array(POINT_FEATURES);
  for (const item of prepared) {
    const { view } = item;
    const fallback = levels[item.groups[item.groups.length - 1] ?? POOLED] ?? 0;
    for (const end of item.origins) {
      const origin = originState(view, end, fallback);
      for (let h = 1; h <= steps && end + h - 1 < view.z.length; h++) {
        const z = view.z[end + h - 1] ?? Number.NaN;
        if (Number.isNaN(z)) continue;
        pointFeatures(view, origin, h, x);
        visit(item, origin, h, x, z - origin.level);
      }
    }
  }
};

const train: Forecaster<GlobalLagModel>['train'] = (seriesList, hyperparameters, seed) => {
  const steps = hyperparameters.predictionLength;
  const season = seasonLength(hyperparameters.timeFreq);
  const groupValues = new Map<string, number[]>([[POOLED, []]]);
  const prepared: Prepared[] = seriesList.map((series) => {
    const key = metricKey(series);
    const groups = key === undefined ? [POOLED] : [POOLED, key];
    const view = viewSeries(
      series.target,
      season,
      startPhase(series.start, hyperparameters.timeFreq, season),
      calendarOf(series.start, hyperparameters.timeFreq),
    );
    // Every 7th value is plenty for a typical level and keeps memory flat on long series.
    for (const group of groups) {
      const values = groupValues.get(group) ?? [];
      for (let i = 0; i < view.z.length; i += 7) {
        const z = view.z[i] ?? Number.NaN;
        if (!Number.isNaN(z)) values.push(z);
      }
      groupValues.set(group, values);
    }
    return {
      view,
      groups,
      origins: originsOf(series.target.length, season, steps),
    };
  });
  const levels: Record<string, number> = {};
  for (const [group, values] of groupValues) levels[group] = median(values);
  const groupNames = [...groupValues.keys()];
  const perStep = <T>(make: () => T) =>
    new Map(groupNames.map((g) => [g, Array.from({ length: steps }, make)]));

  // Pass 1: the point regressions.
  const point = perStep(() => new RidgeAccumulator(POINT_FEATURES));
  forEachRow(prepared, levels, steps, (item, _o, h, x, y) => {
    for (const g of item.groups) point.get(g)?.[h - 1]?.add(x, y);
  });
  const pooledRows = point.get(POOLED) ?? [];
  const thin = pooledRows.findIndex((acc) => acc.count === 0);
  if (seriesList.length === 0 || thin >= 0) {
    throw new NotEnoughDataError(
      `train channel has no series long enough to learn ${steps}-step forecasts: need observed values after at least one step of history at every horizon step (step ${thin + 1} has none)`,
    );
  }
  const kept = groupNames.filter(
    (g) => g === POOLED || (point.get(g) ?? []).every((acc) => acc.count >= MIN_ROWS_PER_GROUP),
  );
  const coefs = new Map(kept.map((g) => [g, (point.get(g) ?? []).map((a) => a.solve(LAMBDA))]));
  const groupOf = (item: Prepared): string[] => item.groups.filter((g) => coefs.has(g));

  // Pass 2: the scale regressions, on log |residual|.
  const scale = perStep(() => new RidgeAccumulator(SCALE_FEATURES));
  const g = new Float64Array(SCALE_FEATURES);
  forEachRow(prepared, levels, steps, (item, o, h, x, y) => {
    scaleFeatures(item.view, o, x, g);
    for (const group of groupOf(item)) {
      const b = coefs.get(group)?.[h - 1] ?? [];
      scale.get(group)?.[h - 1]?.add(g, Math.log(Math.abs(y - dot(b, x)) + RESIDUAL_FLOOR));
    }
  });
  const scaleCoefs = new Map(
    kept.map((group) => [group, (scale.get(group) ?? []).map((a) => a.solve(LAMBDA))]),
  );

  // Pass 3: standardised residuals -> calibrated quantile grids.
  const pools = perStep(() => [] as number[]);
  const logRange = perStep(() => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  const seen = perStep(() => 0);
  forEachRow(prepared, levels, steps, (item, o, h, x, y) => {
    scaleFeatures(item.view, o, x, g);
    for (const group of groupOf(item)) {
      const b = coefs.get(group)?.[h - 1] ?? [];
      const logScale = dot(scaleCoefs.get(group)?.[h - 1] ?? [], g);
      const range = logRange.get(group)?.[h - 1];
      if (range) {
        range[0] = Math.min(range[0] ?? 0, logScale);
        range[1] = Math.max(range[1] ?? 0, logScale);
      }
      const counts = seen.get(group);
      if (!counts) continue;
      const index = counts[h - 1] ?? 0;
      counts[h - 1] = index + 1;
      const total = point.get(group)?.[h - 1]?.count ?? 1;
      // Deterministic thinning: keep an evenly spread subset of at most MAX_POOL residuals.
      const every = Math.ceil(total / MAX_POOL);
      if (index % every === 0)
        pools.get(group)?.[h - 1]?.push((y - dot(b, x)) / Math.exp(logScale));
    }
  });

  const groups: Record<string, GroupModel> = {};
  for (const group of kept) {
    groups[group] = {
      level: levels[group] ?? 0,
      rows: point.get(group)?.[0]?.count ?? 0,
      steps: Array.from({ length: steps }, (_, s) => ({
        coef: coefs.get(group)?.[s] ?? [],
        scaleCoef: scaleCoefs.get(group)?.[s] ?? [],
        // The training range, with room: a safety net against odd instances, not a squeeze.
        logScaleRange: [
          (logRange.get(group)?.[s]?.[0] ?? 0) - SCALE_RANGE_MARGIN,
          (logRange.get(group)?.[s]?.[1] ?? 0) + SCALE_RANGE_MARGIN,
        ],
        grid: toGrid(pools.get(group)?.[s] ?? [0]),
      })),
    };
  }
  return {
    ...modelHeader(GLOBAL_LAG, hyperparameters, season, seed),
    groups,
  };
};

const isNumbers = (value: unknown, length?: number): boolean =>
  Array.isArray(value) &&
  (length === undefined || value.length === length) &&
  value.every((v) => typeof v === 'number' && Number.isFinite(v));

const isGroup = (value: unknown, steps: number): boolean => {
  const group = value as Partial<GroupModel> | null;
  return (
    typeof group?.level === 'number' &&
    Array.isArray(group.steps) &&
    group.steps.length === steps &&
    group.steps.every(
      (s) =>
        isNumbers(s.coef, POINT_FEATURES) &&
        isNumbers(s.scaleCoef, SCALE_FEATURES) &&
        isNumbers(s.logScaleRange, 2) &&
        isNumbers(s.grid, GRID_SIZE),
    )
  );
};

const parse = (json: unknown): GlobalLagModel => {
  const m = json as Partial<GlobalLagModel> | null;
  const valid =
    hasModelHeader(m, GLOBAL_LAG) &&
    typeof m.timeFreq === 'string' &&
    typeof m.groups === 'object' &&
    m.groups !== null &&
    isGroup(m.groups[POOLED], m.predictionLength) &&
    Object.values(m.groups).every((group) => isGroup(group, m.predictionLength));
  if (!valid) {
    throw new ModelLoadError(`model.json is not a ${GLOBAL_LAG} model (format 1)`);
  }
  return m as GlobalLagModel;
};

const predict = (model: GlobalLagModel, instance: Series, config: PredictConfig) => {
  const key = metricKey(instance);
  const group = (key !== undefined ? model.groups[key] : undefined) ?? model.groups[POOLED];
  if (!group) throw new ModelLoadError('model has no pooled group');
  const season = model.seasonLength;
  const view = viewSeries(
    instance.target,
    season,
    startPhase(instance.start, model.timeFreq, season),
    calendarOf(instance.start, model.timeFreq),
  );
  const origin = originState(view, instance.target.length, group.level);
  const x = new Float64Array(POINT_FEATURES);
  const g = new Float64Array(SCALE_FEATURES);
  const centre: number[] = [];
  const spread: number[] = [];
  group.steps.forEach((step, s) => {
    pointFeatures(view, origin, s + 1, x);
    scaleFeatures(view, origin, x, g);
    const [lo, hi] = step.logScaleRange;
    centre.push(origin.level + dot(step.coef, x));
    spread.push(Math.exp(Math.min(hi, Math.max(lo, dot(step.scaleCoef, g)))));
  });
  const at = (s: number, level: number) =>
    fromZ((centre[s] ?? 0) + (spread[s] ?? 0) * gridQuantile(group.steps[s]?.grid ?? [], level));
  const mean = (s: number) => {
    const grid = group.steps[s]?.grid ?? [];
    let sum = 0;
    for (const e of grid) sum += fromZ((centre[s] ?? 0) + (spread[s] ?? 0) * e);
    return sum / Math.max(1, grid.length);
  };
  return predictionOf(
    { steps: centre.length, at, mean, pathCorrelation: PATH_CORRELATION },
    config,
  );
};

export const globalLag: Forecaster<GlobalLagModel> = {
  engine: GLOBAL_LAG,
  train,
  parse,
  predict,
};
