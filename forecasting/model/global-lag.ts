// The default engine: one global model learned across every device (as DeepAR is), with a
// direct regression per metric and horizon step on lag and seasonal features in log space, and
// calibrated quantiles. The spread is heteroscedastic: a second regression predicts the size of
// the error from recent volatility and how unusual the present is, and the quantiles are the
// empirical quantiles of the errors divided by that predicted size (split-conformal style, on
// the training residuals). Quantiles survive the monotone log transform, so they are exact in
// the original units. Metrics with little data fall back to the model pooled over all metrics.
// On top (forecasting/model/guard.ts): features are clamped to the range training spanned, the
// median is a blend of the model with naive and seasonal naive whose weights are chosen on the
// last part of the training data held out (rolling origin, per step), the quantiles are the
// conformal quantiles of the blend's held-out residuals per step, and every value is clipped to
// a multiple of the observed range. So a young fleet gets the simple baselines, honestly
// calibrated, and the learned model takes over as the evidence for it grows. Horizon steps the
// training data cannot teach at all (a day or two of history) are naive with random-walk bands
// (baseline-prior.ts). When the part of an instance's history the model was not trained on
// spans well more seasons than the held-out tail did (a young model served for weeks), its
// weights and residual quantiles are re-chosen per step on rolling origins of that unseen
// history, as the naive baseline's are. A step whose present lies outside what its training
// rows spanned (the last value or the 3 h / 24 h means further from the level than any origin
// it learned from: a level shift after the data) moves toward naive with the excess, since the
// model only extrapolates there (mean reversion toward a level the shift left behind).
import { NotEnoughDataError } from '../../core/errors.js';
import { median, sortedQuantile } from '../../core/stats.js';
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
  TREE_FEATURES,
  timeOf,
  treeFeatures,
  viewSeries,
} from '../data/features.js';
import { ModelLoadError } from '../errors.js';
import { naiveStepModel } from './baseline-prior.js';
import { type Forest, fitForest, isForest, predictForest } from './boosted-trees.js';
import {
  type BlendRow,
  bestBlend,
  blendCandidates,
  blendOf,
  clampInto,
  clip,
  clipBand,
  emptyRange,
  extendRange,
  type FeatureRange,
  finiteRange,
  observedRange,
  rangeExcess,
  unfamiliarShare,
} from './guard.js';
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
/**
 * Ridge penalty of the scale model: heavy next to a few days of rows (the spread stays nearly
 * constant per step), negligible next to years of them.
 */
const SCALE_LAMBDA = 2000;
/** Floor inside log |residual|: exact hits would otherwise pull the scale model to -inf. */
const RESIDUAL_FLOOR = 0.01;
/** Step-to-step correlation of sample paths: forecast errors persist over hours. */
const PATH_CORRELATION = 0.9;
/** Held-out tail of each series for the blend and the conformal grids: at most 28 seasons. */
const MAX_HOLDOUT_SEASONS = 28;
/** Share of a short series held out. */
const HOLDOUT_SHARE = 0.3;
/** A horizon step is learned from at least this many rows, else it is naive (baseline-prior). */
const MIN_STEP_ROWS = 30;
/** Held-out origins (over all series) the blend and its grids are chosen on, at most. */
const MAX_CALIBRATION_ORIGINS = 40_000;
/** A step needs this many held-out rows for its own weights and grid. */
const MIN_CALIBRATION_ROWS = 30;
/** Pseudo-rows of pure naive the model's weight is shrunk with (little evidence, little trust). */
const PRIOR_ROWS = 100;
/** Weights on a simplex grid of tenths. */
const CANDIDATES = blendCandidates(10);
/** Forecasts stay within 3x the highest (a third of the lowest) value of the instance. */
const CLIP_MARGIN = Math.log(3);
/** Rows (over all steps) the trees of a group are fitted on, at most: an evenly spread subset. */
const MAX_TREE_ROWS = 120_000;
/** A group gets trees once it has this many rows over all steps. */
const MIN_TREE_ROWS = 2000;
/** Tree targets (ridge residuals, log units) are clipped to this: one odd hour, not a leaf. */
const TREE_TARGET_CLIP = 3;
/** Shares of the trees' correction a step may take, chosen on held-out rows. */
const TREE_SHARES = [0, 0.25, 0.5, 0.75, 1];
/** Trees are fitted only when the held-out tail spans this many seasons (days) or more. */
const MIN_TREE_HOLDOUT_SEASONS = 3;
/** Row weights of the trees stay within e^±3 of the group's typical level's. */
const MAX_WEIGHT_LOG = 3;
/**
 * Log units outside the per-step training range of the origin's level deviations at which a
 * step is pure naive (log 1.5: the present half again beyond anything the step learned from).
 */
const UNFAMILIAR_FULL = Math.log(1.5);

export interface StepModel {
  coef: number[];
  scaleCoef: number[];
  /** log-scale clamp seen in training, so an odd instance cannot blow the spread up. */
  logScaleRange: [number, number];
  /** Standardised residual quantile grid (GRID_SIZE points, ascending). */
  grid: number[];
}

/** The held-out blend of one group: per step, weights (model, naive, seasonal) and grid. */
export interface Blend {
  weights: number[][];
  grids: number[][];
  /** Held-out rows per step it was chosen on (0: inherited from a neighbour). */
  rows: number[];
  /** Seasons the held-out tail of a typical series spanned (absent in older artifacts). */
  seasons?: number;
}

export interface GroupModel {
  /** Typical z of the group: the level of an instance without any observation. */
  level: number;
  rows: number;
  steps: StepModel[];
  /** Ranges of the point and scale features in training (absent in older artifacts). */
  pointRange?: FeatureRange;
  scaleRange?: FeatureRange;
  /** Range of z seen in training, the clip band of an instance without observations. */
  zRange?: [number, number];
  /**
   * Per step, the range training's rows spanned of the origin's deviations from its level
   * (levelDeviations: last value, 3 h and 24 h means); absent in older artifacts.
   */
  deviationRanges?: FeatureRange[];
  blend?: Blend;
  /**
   * Boosted trees on the ridge's residuals (absent in older artifacts and on little data), and
   * per step the share of their correction the held-out tail supports (0 when absent).
   */
  trees?: Forest;
  treeShare?: number[];
}

export interface GlobalLagModel extends ModelHeader<typeof GLOBAL_LAG> {
  groups: Record<string, GroupModel>;
  /**
   * Epoch ms just after the last training point of any series (absent in older artifacts):
   * an instance's history before it was fitted on, so it is no evidence of how the model does.
   */
  trainedUntilMs?: number;
}

/** Number of an origin's level deviations the unfamiliar-present guard watches. */
const LEVEL_DEVIATIONS = 3;

/** The origin's last value, 3 h and 24 h means, each relative to its level (z units). */
const levelDeviations = (o: OriginState): number[] => [
  o.last - o.level,
  o.m3 - o.level,
  o.m24 - o.level,
];

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

/**
 * Weight of a row whose level sits `relative` log units above its group's typical one: the
 * accuracy that counts is in the original units (an error at a tenfold level costs tenfold),
 * so the trees and their share favour the high episodes, within bounds.
 */
const magnitudeWeight = (relative: number): number =>
  Math.exp(Math.max(-MAX_WEIGHT_LOG, Math.min(MAX_WEIGHT_LOG, relative)));

/** What a forest is fitted to at one training row (point features x, scale features g). */
type TreeTarget = (group: string, h: number, x: Float64Array, g: Float64Array, y: number) => number;

/**
 * Boosted trees per group on what a regression left unexplained, from an evenly spread subset
 * of the training rows: what the ridge cannot express (hour × lag, level × volatility, episodes
 * ending). Only groups that serve some series and have enough rows get them.
 */
const fitTrees = (
  prepared: Prepared[],
  levels: Record<string, number>,
  steps: number,
  coefs: Map<string, number[][]>,
  groupOf: (item: Prepared) => string[],
  point: Map<string, RidgeAccumulator[]>,
  target: TreeTarget,
): Map<string, Forest> => {
  const pooledServes = prepared.some((item) => groupOf(item).length === 1);
  const plans = new Map<
    string,
    {
      every: number;
      cap: number;
      seen: number;
      rows: number;
      x: Float64Array;
      y: Float64Array;
      w: Float64Array;
    }
  >();
  for (const group of coefs.keys()) {
    if (group === POOLED && !pooledServes) continue;
    const total = (point.get(group) ?? []).reduce((sum, acc) => sum + acc.count, 0);
    if (total < MIN_TREE_ROWS) continue;
    // A stride coprime to the steps, so every step is sampled.
    let every = Math.max(1, Math.ceil(total / MAX_TREE_ROWS));
    while (every > 1 && gcd(every, steps) !== 1) every++;
    const cap = Math.ceil(total / every);
    plans.set(group, {
      every,
      cap,
      seen: 0,
      rows: 0,
      x: new Float64Array(cap * TREE_FEATURES),
      y: new Float64Array(cap),
      w: new Float64Array(cap),
    });
  }
  const forests = new Map<string, Forest>();
  if (plans.size === 0) return forests;
  const g = new Float64Array(SCALE_FEATURES);
  const t = new Float64Array(TREE_FEATURES);
  forEachRow(prepared, levels, steps, (item, o, h, x, y) => {
    let featured = false;
    for (const group of groupOf(item)) {
      const plan = plans.get(group);
      if (!plan) continue;
      const index = plan.seen++;
      if (index % plan.every !== 0 || plan.rows >= plan.cap) continue;
      if (!featured) {
        scaleFeatures(item.view, o, x, g);
        treeFeatures(item.view, o, h, x, g, t);
        featured = true;
      }
      plan.x.set(t, plan.rows * TREE_FEATURES);
      const residual = target(group, h, x, g, y);
      plan.y[plan.rows] = Math.max(-TREE_TARGET_CLIP, Math.min(TREE_TARGET_CLIP, residual));
      plan.w[plan.rows] = magnitudeWeight(o.level - (levels[group] ?? 0));
      plan.rows++;
    }
  });
  for (const [group, plan] of plans) {
    forests.set(group, fitForest(plan.x, plan.y, plan.rows, TREE_FEATURES, undefined, plan.w));
  }
  return forests;
};

const fitModel = (
  seriesList: Series[],
  hyperparameters: Parameters<Forecaster<GlobalLagModel>['train']>[1],
  seed: number,
  withTrees: boolean,
): { model: GlobalLagModel; taught: boolean[] } => {
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
  const zRanges: Record<string, [number, number]> = {};
  for (const [group, values] of groupValues) {
    levels[group] = median(values);
    zRanges[group] = observedRange(values) ?? [0, 0];
  }
  const groupNames = [...groupValues.keys()];
  const perStep = <T>(make: () => T) =>
    new Map(groupNames.map((g) => [g, Array.from({ length: steps }, make)]));

  // Pass 1: the point regressions.
  const point = perStep(() => new RidgeAccumulator(POINT_FEATURES));
  const pointRanges = new Map(groupNames.map((g) => [g, emptyRange(POINT_FEATURES)]));
  const scaleRanges = new Map(groupNames.map((g) => [g, emptyRange(SCALE_FEATURES)]));
  const deviationRanges = perStep(() => emptyRange(LEVEL_DEVIATIONS));
  const g0 = new Float64Array(SCALE_FEATURES);
  forEachRow(prepared, levels, steps, (item, o, h, x, y) => {
    scaleFeatures(item.view, o, x, g0);
    const deviations = levelDeviations(o);
    for (const g of item.groups) {
      point.get(g)?.[h - 1]?.add(x, y);
      const dr = deviationRanges.get(g)?.[h - 1];
      if (dr) extendRange(dr, deviations);
      const pr = pointRanges.get(g);
      const sr = scaleRanges.get(g);
      if (pr) extendRange(pr, x);
      if (sr) extendRange(sr, g0);
    }
  });
  if (seriesList.length === 0) {
    throw new NotEnoughDataError('train channel has no series to learn from');
  }
  // A step without enough rows (a day or two of history) is naive with random-walk bands.
  const taught = (point.get(POOLED) ?? []).map((acc) => acc.count >= MIN_STEP_ROWS);
  const kept = groupNames.filter(
    (g) => g === POOLED || (point.get(g) ?? []).every((acc) => acc.count >= MIN_ROWS_PER_GROUP),
  );
  const coefs = new Map(
    kept.map((g) => [
      g,
      (point.get(g) ?? []).map((a, s) =>
        taught[s] ? a.solve(LAMBDA) : naiveStepModel(s + 1).coef,
      ),
    ]),
  );
  const groupOf = (item: Prepared): string[] => item.groups.filter((g) => coefs.has(g));
  const forests = withTrees
    ? fitTrees(
        prepared,
        levels,
        steps,
        coefs,
        groupOf,
        point,
        (group, h, x, _g, y) => y - dot(coefs.get(group)?.[h - 1] ?? [], x),
      )
    : new Map<string, Forest>();
  // The spread and the in-sample grids stay the ridge's: replaying the trees on every row costs
  // more than the trees themselves, and the held-out grids (calibrate) are the ensemble's.
  const residualOf = (group: string, h: number, x: Float64Array, y: number) =>
    y - dot(coefs.get(group)?.[h - 1] ?? [], x);

  // Pass 2: the scale regressions, on log |residual|.
  const scale = perStep(() => new RidgeAccumulator(SCALE_FEATURES));
  const g = new Float64Array(SCALE_FEATURES);
  forEachRow(prepared, levels, steps, (item, o, h, x, y) => {
    scaleFeatures(item.view, o, x, g);
    for (const group of groupOf(item)) {
      const residual = residualOf(group, h, x, y);
      scale.get(group)?.[h - 1]?.add(g, Math.log(Math.abs(residual) + RESIDUAL_FLOOR));
    }
  });
  const scaleCoefs = new Map(
    kept.map((group) => [
      group,
      (scale.get(group) ?? []).map((a, s) =>
        taught[s] ? a.solve(SCALE_LAMBDA) : naiveStepModel(s + 1).scaleCoef,
      ),
    ]),
  );

  // Pass 3: standardised residuals -> calibrated quantile grids.
  const pools = perStep(() => [] as number[]);
  const logRange = perStep(() => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  const seen = perStep(() => 0);
  forEachRow(prepared, levels, steps, (item, o, h, x, y) => {
    scaleFeatures(item.view, o, x, g);
    for (const group of groupOf(item)) {
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
        pools.get(group)?.[h - 1]?.push(residualOf(group, h, x, y) / Math.exp(logScale));
    }
  });

  const groups: Record<string, GroupModel> = {};
  for (const group of kept) {
    const rows = point.get(group)?.[0]?.count ?? 0;
    groups[group] = {
      level: levels[group] ?? 0,
      rows,
      steps: Array.from({ length: steps }, (_, s) =>
        taught[s]
          ? {
              coef: coefs.get(group)?.[s] ?? [],
              scaleCoef: scaleCoefs.get(group)?.[s] ?? [],
              // The training range, with room: a safety net against odd instances, not a squeeze.
              logScaleRange: [
                (logRange.get(group)?.[s]?.[0] ?? 0) - SCALE_RANGE_MARGIN,
                (logRange.get(group)?.[s]?.[1] ?? 0) + SCALE_RANGE_MARGIN,
              ],
              grid: toGrid(pools.get(group)?.[s] ?? [0]),
            }
          : naiveStepModel(s + 1),
      ),
      // No row at all: nothing to clamp to (an empty range would pin every feature at 0).
      ...(rows > 0
        ? {
            pointRange: finiteRange(pointRanges.get(group) ?? emptyRange(POINT_FEATURES)),
            scaleRange: finiteRange(scaleRanges.get(group) ?? emptyRange(SCALE_FEATURES)),
            deviationRanges: (deviationRanges.get(group) ?? []).map(finiteRange),
          }
        : {}),
      zRange: zRanges[group] ?? [0, 0],
      ...(forests.has(group) ? { trees: forests.get(group) } : {}),
    };
  }
  let trainedUntilMs = Number.NEGATIVE_INFINITY;
  for (const series of seriesList) {
    const { startMs, stepMs } = timeOf(series.start, hyperparameters.timeFreq);
    if (Number.isFinite(startMs))
      trainedUntilMs = Math.max(trainedUntilMs, startMs + series.target.length * stepMs);
  }
  const header = modelHeader(GLOBAL_LAG, hyperparameters, season, seed);
  return {
    model: { ...header, groups, ...(Number.isFinite(trainedUntilMs) ? { trainedUntilMs } : {}) },
    taught,
  };
};

/** One step's forecasts at an origin, in z: the model's, naive's and seasonal naive's. */
interface StepForecast extends BlendRow {
  spread: number;
  /** The trees' correction of the ridge (0 without trees); `global` holds its served share. */
  correction: number;
}

const treeScratch = new Float64Array(TREE_FEATURES);

const forecastStep = (
  group: GroupModel,
  view: SeriesView,
  origin: OriginState,
  h: number,
  x: Float64Array,
  g: Float64Array,
): Omit<StepForecast, 'y'> => {
  pointFeatures(view, origin, h, x);
  const naive = origin.level + (x[1] ?? 0);
  const seasonal = origin.level + (x[4] ?? 0);
  if (group.pointRange) clampInto(x, group.pointRange);
  scaleFeatures(view, origin, x, g);
  if (group.scaleRange) clampInto(g, group.scaleRange);
  const step = group.steps[h - 1];
  const [lo, hi] = step?.logScaleRange ?? [0, 0];
  let correction = 0;
  if (group.trees) {
    treeFeatures(view, origin, h, x, g, treeScratch);
    correction = predictForest(group.trees, treeScratch);
  }
  const share = group.treeShare?.[h - 1] ?? 0;
  return {
    global: origin.level + dot(step?.coef ?? [], x) + share * correction,
    correction,
    naive,
    seasonal,
    spread: Math.exp(Math.min(hi, Math.max(lo, dot(step?.scaleCoef ?? [], g)))),
  };
};

const groupFor = (model: GlobalLagModel, series: Series): GroupModel => {
  const key = metricKey(series);
  const group = (key !== undefined ? model.groups[key] : undefined) ?? model.groups[POOLED];
  if (!group) throw new ModelLoadError('model has no pooled group');
  return group;
};

const viewOf = (model: GlobalLagModel, series: Series): SeriesView =>
  viewSeries(
    series.target,
    model.seasonLength,
    startPhase(series.start, model.timeFreq, model.seasonLength),
    calendarOf(series.start, model.timeFreq),
  );

/** How much of a series of `length` is held out for calibration. */
export const holdoutLength = (length: number, steps: number, season: number): number =>
  Math.min(MAX_HOLDOUT_SEASONS * season, Math.max(steps, Math.round(HOLDOUT_SHARE * length)));

/**
 * The share of the trees' correction that minimises the absolute error of the model's median
 * on held-out rows (0 with too few of them: no evidence, no correction).
 */
const bestShare = (rows: readonly StepForecast[], level: number): number => {
  if (rows.length < MIN_CALIBRATION_ROWS) return 0;
  let best = 0;
  let bestLoss = Number.POSITIVE_INFINITY;
  for (const share of TREE_SHARES) {
    let loss = 0;
    for (const r of rows)
      loss += magnitudeWeight(r.naive - level) * Math.abs(r.y - r.global - share * r.correction);
    if (loss < bestLoss * (1 - 1e-9)) {
      bestLoss = loss;
      best = share;
    }
  }
  return best;
};

/**
 * The blend and the conformal grids of every group of `model`, from held-out rolling origins:
 * a model fitted on each series without its tail forecasts every origin of the tail. When the
 * series are too short for that, the full model's in-sample rows stand in with weight on naive.
 */
const calibrate = (
  model: GlobalLagModel,
  taught: readonly boolean[],
  seriesList: Series[],
  hyperparameters: Parameters<Forecaster<GlobalLagModel>['train']>[1],
  seed: number,
  withTrees: boolean,
): void => {
  const steps = model.predictionLength;
  const season = model.seasonLength;
  const holds = seriesList.map((s) => holdoutLength(s.target.length, steps, season));
  let inner: GlobalLagModel | undefined;
  try {
    inner = fitModel(
      seriesList
        .map((s, i) => ({ ...s, target: s.target.slice(0, s.target.length - (holds[i] ?? 0)) }))
        .filter((s) => s.target.length > 0),
      hyperparameters,
      seed,
      withTrees,
    ).model;
  } catch (error) {
    if (!(error instanceof NotEnoughDataError)) throw error;
  }
  const scorer = inner ?? model;
  const rows = new Map<string, StepForecast[][]>();
  const rowsOf = (name: string) => {
    const found = rows.get(name) ?? Array.from({ length: steps }, () => [] as StepForecast[]);
    rows.set(name, found);
    return found;
  };
  const x = new Float64Array(POINT_FEATURES);
  const g = new Float64Array(SCALE_FEATURES);
  // At fleet scale every origin would be millions of rows per step (memory and the weight
  // search grow with them): an evenly spread subset, every phase of the season visited.
  const firstOf = (n: number, i: number) =>
    Math.max(1, inner ? n - (holds[i] ?? 0) : Math.min(season, Math.max(1, n - steps)));
  const origins = seriesList.reduce(
    (sum, s, i) => sum + s.target.length - firstOf(s.target.length, i),
    0,
  );
  let stride = Math.max(1, Math.ceil(origins / MAX_CALIBRATION_ORIGINS));
  while (stride > 1 && gcd(stride, season) !== 1) stride++;
  seriesList.forEach((series, i) => {
    const key = metricKey(series);
    const name = key !== undefined && model.groups[key] ? key : POOLED;
    const group = groupFor(scorer, series);
    // Residuals are standardised by the spread the served model will use, so grids match it.
    const served = groupFor(model, series);
    const view = viewOf(scorer, series);
    const n = series.target.length;
    // Offset by series so the subset does not sit at the same phases of every series.
    for (let end = firstOf(n, i) + (i % stride); end < n; end += stride) {
      const origin = originState(view, end, group.level);
      const servedOrigin = originState(view, end, served.level);
      for (let h = 1; h <= steps && end + h - 1 < n; h++) {
        const y = view.z[end + h - 1] ?? Number.NaN;
        if (Number.isNaN(y)) continue;
        const { spread } = forecastStep(served, view, servedOrigin, h, x, g);
        const row = { ...forecastStep(group, view, origin, h, x, g), spread, y };
        rowsOf(name)[h - 1]?.push(row);
        if (name !== POOLED) rowsOf(POOLED)[h - 1]?.push(row);
      }
    }
  });
  const blendFor = (name: string, fallback: Blend | undefined): Blend => {
    const perStep = rows.get(name) ?? [];
    // In-sample calibration (no inner model) is no held-out evidence at all: 0 seasons.
    const seasons = inner ? median(holds) / season : 0;
    const blend: Blend = { weights: [], grids: [], rows: [], seasons };
    const served = model.groups[name];
    const shares: number[] = [];
    for (let s = 0; s < steps; s++) {
      const share = inner && served?.trees ? bestShare(perStep[s] ?? [], served.level) : 0;
      shares.push(share);
      const stepRows = (perStep[s] ?? []).map((r) => ({
        ...r,
        global: r.global + share * r.correction,
      }));
      if (stepRows.length < MIN_CALIBRATION_ROWS) {
        // Too little evidence for this step: the weights of the step before, and bands that
        // widen like a random walk's from the step before (or the naive prior's, untaught).
        const from = s > 0 ? blend : fallback;
        const at = s > 0 ? s - 1 : 0;
        const inherited = from?.grids[at];
        const own = model.groups[name]?.steps[s]?.grid;
        const widen = Math.sqrt((s + 1) / (at + 1));
        blend.weights.push(from?.weights[at] ?? [0, 1, 0]);
        blend.grids.push(
          (!taught[s] ? own : inherited?.map((e) => e * widen)) ?? own ?? toGrid([0]),
        );
        blend.rows.push(0);
        continue;
      }
      const w = inner ? bestBlend(stepRows, CANDIDATES, PRIOR_ROWS) : [0, 1, 0];
      const residuals = stepRows.map((r) => (r.y - blendOf(w, r)) / r.spread);
      // The blend is the median (its weights minimise the absolute error): centre the grid on it.
      const grid = toGrid(residuals);
      const mid = gridQuantile(grid, 0.5);
      blend.weights.push(w);
      blend.grids.push(grid.map((e) => e - mid));
      blend.rows.push(stepRows.length);
    }
    if (served?.trees) served.treeShare = shares;
    return blend;
  };
  const pooled = blendFor(POOLED, undefined);
  for (const [name, group] of Object.entries(model.groups)) {
    group.blend = name === POOLED ? pooled : blendFor(name, pooled);
  }
};

const train: Forecaster<GlobalLagModel>['train'] = (seriesList, hyperparameters, seed) => {
  // A flexible correction needs held-out evidence of several days before it is trusted: on a
  // young fleet's day of held-out tail its share is noise (and the trees cost time for nothing).
  const steps = hyperparameters.predictionLength;
  const season = seasonLength(hyperparameters.timeFreq);
  const held = median(seriesList.map((s) => holdoutLength(s.target.length, steps, season)));
  const withTrees = held >= MIN_TREE_HOLDOUT_SEASONS * season;
  const { model, taught } = fitModel(seriesList, hyperparameters, seed, withTrees);
  calibrate(model, taught, seriesList, hyperparameters, seed, withTrees);
  return model;
};

const isNumbers = (value: unknown, length?: number): boolean =>
  Array.isArray(value) &&
  (length === undefined || value.length === length) &&
  value.every((v) => typeof v === 'number' && Number.isFinite(v));

const isRange = (value: FeatureRange, size: number): boolean =>
  isNumbers(value?.lo, size) && isNumbers(value?.hi, size);

const isBlend = (value: Blend, steps: number): boolean =>
  Array.isArray(value?.weights) &&
  value.weights.length === steps &&
  value.weights.every((w) => isNumbers(w, 3)) &&
  Array.isArray(value.grids) &&
  value.grids.length === steps &&
  value.grids.every((grid) => isNumbers(grid, GRID_SIZE)) &&
  (value.seasons === undefined || (typeof value.seasons === 'number' && value.seasons >= 0));

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
    ) &&
    (group.pointRange === undefined || isRange(group.pointRange, POINT_FEATURES)) &&
    (group.scaleRange === undefined || isRange(group.scaleRange, SCALE_FEATURES)) &&
    (group.zRange === undefined || isNumbers(group.zRange, 2)) &&
    (group.deviationRanges === undefined ||
      (Array.isArray(group.deviationRanges) &&
        group.deviationRanges.length === steps &&
        group.deviationRanges.every((r) => isRange(r, LEVEL_DEVIATIONS)))) &&
    (group.blend === undefined || isBlend(group.blend, steps)) &&
    (group.trees === undefined || isForest(group.trees, TREE_FEATURES)) &&
    (group.treeShare === undefined || isNumbers(group.treeShare, steps))
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
    (m.trainedUntilMs === undefined || Number.isFinite(m.trainedUntilMs)) &&
    Object.values(m.groups).every((group) => isGroup(group, m.predictionLength));
  if (!valid) {
    throw new ModelLoadError(`model.json is not a ${GLOBAL_LAG} model (format 1)`);
  }
  return m as GlobalLagModel;
};

/** At most this many origins of an instance's own history are replayed for its residuals. */
const MAX_LOCAL_ORIGINS = 500;
/**
 * The instance's own history outweighs the held-out calibration once it spans this many times
 * as many seasons: its weights and residuals then take over (a young model served for weeks).
 */
const LOCAL_EVIDENCE_RATIO = 2;
/** Origins the instance's weights are re-chosen on: enough for a median, cheap per request. */
const MAX_REWEIGH_ORIGINS = 200;
/** Weights on a simplex grid of fifths when re-chosen per request (21 candidates, not 66). */
const LOCAL_CANDIDATES = blendCandidates(5);

/**
 * Index of the instance's first point the model was not trained on: origins before it replay
 * training data (in-sample, where the learned model looks better than it is). 0 when the
 * artifact or the instance carries no time.
 */
const unseenFrom = (model: GlobalLagModel, instance: Series): number => {
  if (model.trainedUntilMs === undefined) return 0;
  const { startMs, stepMs } = timeOf(instance.start, model.timeFreq);
  if (!Number.isFinite(startMs)) return 0;
  return Math.max(0, Math.ceil((model.trainedUntilMs - startMs) / stepMs));
};

/** The served components replayed at origins of the instance's own history, per step. */
const localRows = (
  group: GroupModel,
  view: SeriesView,
  steps: number,
  x: Float64Array,
  g: Float64Array,
  maxOrigins: number,
  first: number,
): StepForecast[][] => {
  const out = Array.from({ length: steps }, () => [] as StepForecast[]);
  const n = view.z.length;
  const stride = Math.max(1, Math.ceil((n - first) / maxOrigins));
  for (let end = first; end < n; end += stride) {
    const origin = originState(view, end, group.level);
    for (let h = 1; h <= steps && end + h - 1 < n; h++) {
      const y = view.z[end + h - 1] ?? Number.NaN;
      if (Number.isNaN(y)) continue;
      out[h - 1]?.push({ ...forecastStep(group, view, origin, h, x, g), y });
    }
  }
  return out;
};

/** Standardised residuals of weights `w` on rows, sorted and centred on their median. */
const centredResiduals = (rows: readonly StepForecast[], w: readonly number[]): Float64Array => {
  const sorted = Float64Array.from(rows, (r) => (r.y - blendOf(w, r)) / r.spread).sort();
  const mid = sortedQuantile(sorted, 0.5);
  return sorted.map((e) => e - mid);
};

/** Weights `local` mixed with `prior` in proportion `trust` (both on the simplex). */
const mixWeights = (local: readonly number[], prior: readonly number[], trust: number) =>
  [0, 1, 2].map((i) => trust * (local[i] ?? 0) + (1 - trust) * (prior[i] ?? 0));

/**
 * Per step, the weights and the sorted residuals the instance's own history supports, or
 * undefined where it holds too little: the served forecast replayed at origins of the part of
 * its history the model was not trained on (as the naive baseline's empirical quantiles are).
 * A young model's held-out grids rest on a day or two; the weeks it has served since know its
 * errors better. With the held-out span recorded (blend.seasons), the weights are re-chosen on
 * that unseen history too, trusted in proportion to how many more seasons it spans than the
 * held-out tail did. Replaying training data instead would be in-sample: the learned model
 * looks better there than it is, and after a level shift the re-chosen weights trusted it
 * where it failed.
 */
const localCalibration = (
  model: GlobalLagModel,
  group: GroupModel,
  instance: Series,
  view: SeriesView,
  x: Float64Array,
  g: Float64Array,
): Array<{ weights: number[]; residuals: Float64Array; reweighed: boolean } | undefined> => {
  const blend = group.blend;
  if (!blend) return [];
  const steps = group.steps.length;
  const first = Math.max(view.season, unseenFrom(model, instance));
  const spanSeasons = (view.z.length - first) / model.seasonLength;
  const heldSeasons = blend.seasons;
  const reweigh = heldSeasons !== undefined && spanSeasons > LOCAL_EVIDENCE_RATIO * heldSeasons;
  if (!reweigh && Math.min(...blend.rows) >= view.z.length - first) return [];
  const rows = localRows(
    group,
    view,
    steps,
    x,
    g,
    reweigh ? MAX_REWEIGH_ORIGINS : MAX_LOCAL_ORIGINS,
    first,
  );
  return rows.map((stepRows, s) => {
    const prior = blend.weights[s] ?? [0, 1, 0];
    if (stepRows.length < MIN_CALIBRATION_ROWS) return undefined;
    if (reweigh) {
      const trust = spanSeasons / (spanSeasons + (heldSeasons ?? 0));
      const weights = mixWeights(bestBlend(stepRows, LOCAL_CANDIDATES, PRIOR_ROWS), prior, trust);
      return { weights, residuals: centredResiduals(stepRows, weights), reweighed: true };
    }
    if (stepRows.length <= (blend.rows[s] ?? 0)) return undefined;
    return { weights: prior, residuals: centredResiduals(stepRows, prior), reweighed: false };
  });
};

const predict = (model: GlobalLagModel, instance: Series, config: PredictConfig) => {
  const group = groupFor(model, instance);
  const view = viewOf(model, instance);
  const origin = originState(view, instance.target.length, group.level);
  const band = clipBand(observedRange(view.z), group.zRange ?? [0, 20], CLIP_MARGIN);
  const x = new Float64Array(POINT_FEATURES);
  const g = new Float64Array(SCALE_FEATURES);
  const steps = group.steps.length;
  const local = localCalibration(model, group, instance, view, x, g);
  const deviations = levelDeviations(origin);
  const centre: number[] = [];
  const spread: number[] = [];
  const grids: number[][] = [];
  group.steps.forEach((step, s) => {
    const f = forecastStep(group, view, origin, s + 1, x, g);
    const w = local[s]?.weights ?? group.blend?.weights[s];
    const served = w ? blendOf(w, { ...f, y: 0 }) : f.global;
    // A present unlike any origin this step learned from: the model extrapolates, naive does
    // not. Weights re-chosen on the instance's unseen history already know how it fares since.
    const range = local[s]?.reweighed ? undefined : group.deviationRanges?.[s];
    const t = range ? unfamiliarShare(rangeExcess(deviations, range), UNFAMILIAR_FULL) : 0;
    centre.push((1 - t) * served + t * f.naive);
    spread.push(f.spread);
    grids.push(group.blend?.grids[s] ?? step.grid);
  });
  const zAt = (s: number, level: number) => {
    const r = local[s]?.residuals;
    const e = r ? sortedQuantile(r, level) : gridQuantile(grids[s] ?? [], level);
    return clip((centre[s] ?? 0) + (spread[s] ?? 0) * e, band);
  };
  const at = (s: number, level: number) => fromZ(zAt(s, level));
  const mean = (s: number) => {
    let sum = 0;
    for (let i = 0; i < GRID_SIZE; i++) sum += fromZ(zAt(s, (i + 0.5) / GRID_SIZE));
    return sum / GRID_SIZE;
  };
  return predictionOf({ steps, at, mean, pathCorrelation: PATH_CORRELATION }, config);
};

export const globalLag: Forecaster<GlobalLagModel> = {
  engine: GLOBAL_LAG,
  train,
  parse,
  predict,
};
