// What keeps the global model trustworthy on little data: feature ranges (never extrapolate a
// feature beyond what training spanned), a blend with naive and seasonal naive chosen on
// held-out rolling-origin windows inside the training data, and a clip of every forecast to a
// multiple of the observed range. Pure functions over plain arrays.

/** Per-feature [min, max] seen in training. */
export interface FeatureRange {
  lo: number[];
  hi: number[];
}

export const emptyRange = (size: number): FeatureRange => ({
  lo: Array.from({ length: size }, () => Number.POSITIVE_INFINITY),
  hi: Array.from({ length: size }, () => Number.NEGATIVE_INFINITY),
});

export const extendRange = (range: FeatureRange, x: ArrayLike<number>): void => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i] ?? 0;
    if ((range.lo[i] ?? 0) > v) range.lo[i] = v;
    if ((range.hi[i] ?? 0) < v) range.hi[i] = v;
  }
};

/** A range that saw nothing becomes [0, 0]; JSON cannot hold infinities. */
export const finiteRange = (range: FeatureRange): FeatureRange => {
  const seen = (i: number) => (range.lo[i] ?? 0) <= (range.hi[i] ?? 0);
  return {
    lo: range.lo.map((v, i) => (seen(i) ? v : 0)),
    hi: range.hi.map((v, i) => (seen(i) ? v : 0)),
  };
};

/** Clamps `x` in place into the range (features the training data did not span). */
export const clampInto = (x: Float64Array, range: FeatureRange): void => {
  for (let i = 0; i < x.length; i++) {
    const lo = range.lo[i];
    const hi = range.hi[i];
    if (lo === undefined || hi === undefined || lo > hi) continue;
    x[i] = Math.min(hi, Math.max(lo, x[i] ?? 0));
  }
};

/** Candidate weights (global, naive, seasonal naive) on a simplex grid of 1/`divisions`. */
export const blendCandidates = (divisions: number): Array<[number, number, number]> => {
  const out: Array<[number, number, number]> = [];
  for (let a = 0; a <= divisions; a++) {
    for (let b = 0; a + b <= divisions; b++) {
      out.push([a / divisions, b / divisions, (divisions - a - b) / divisions]);
    }
  }
  return out;
};

/** One held-out row: the three point forecasts (z space) and the observed z. */
export interface BlendRow {
  global: number;
  naive: number;
  seasonal: number;
  y: number;
}

export const blendOf = (w: readonly number[], row: BlendRow): number =>
  (w[0] ?? 0) * row.global + (w[1] ?? 0) * row.naive + (w[2] ?? 0) * row.seasonal;

/**
 * The weights minimising the mean absolute error on held-out rows (the median's loss). With
 * few rows the global model must win clearly: its weight is shrunk toward the simple baselines
 * in proportion to how little evidence there is (`priorRows` pseudo-rows of pure naive).
 */
export const bestBlend = (
  rows: readonly BlendRow[],
  candidates: ReadonlyArray<readonly number[]>,
  priorRows: number,
): [number, number, number] => {
  if (rows.length === 0) return [0, 1, 0];
  let best: readonly number[] = [0, 1, 0];
  let bestLoss = Number.POSITIVE_INFINITY;
  for (const w of candidates) {
    let loss = 0;
    for (const row of rows) loss += Math.abs(row.y - blendOf(w, row));
    if (loss < bestLoss - 1e-12) {
      bestLoss = loss;
      best = w;
    }
  }
  const trust = rows.length / (rows.length + priorRows);
  const g = (best[0] ?? 0) * trust;
  const rest = 1 - g;
  const others = (best[1] ?? 0) + (best[2] ?? 0);
  const share = others > 0 ? (best[1] ?? 0) / others : 1;
  return [g, rest * share, rest * (1 - share)];
};

/** Min and max of the observed (non-NaN) values, undefined when none. */
export const observedRange = (z: ArrayLike<number>): [number, number] | undefined => {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < z.length; i++) {
    const v = z[i] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
};

/**
 * The band a forecast (in z = log1p space) may not leave: the instance's observed range (the
 * training range when it has no observation), widened by `margin` log units (log 3: three
 * times the highest value seen, a third of the lowest).
 */
export const clipBand = (
  instance: [number, number] | undefined,
  training: [number, number],
  margin: number,
): [number, number] => {
  const [lo, hi] = instance ?? training;
  return [lo - margin, hi + margin];
};

export const clip = (value: number, band: readonly [number, number]): number =>
  Math.min(band[1], Math.max(band[0], value));

/**
 * How far (in the features' units) `values` lie outside `range`, at the worst of them: 0 when
 * every one is inside what training spanned.
 */
export const rangeExcess = (values: readonly number[], range: FeatureRange): number => {
  let excess = 0;
  values.forEach((v, i) => {
    const lo = range.lo[i];
    const hi = range.hi[i];
    if (lo === undefined || hi === undefined || lo > hi) return;
    excess = Math.max(excess, lo - v, v - hi);
  });
  return excess;
};

/**
 * The share of naive a forecast takes when its origin lies `excess` outside what training
 * spanned: none inside, all of it from `full` out, linear between. A present unlike any the
 * model learned from (a level shift just after its training data) is naive's to forecast.
 */
export const unfamiliarShare = (excess: number, full: number): number =>
  Math.min(1, Math.max(0, excess / full));
