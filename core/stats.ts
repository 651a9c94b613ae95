// Order statistics, once for the whole project: the engine's medians and quantile grids, the
// data profiles the drift check compares, and the benchmarks' latency percentiles.

/**
 * Quantile `level` of an ascending sample, linear between order statistics (numpy's default);
 * 0 for an empty sample.
 */
export const sortedQuantile = (sorted: ArrayLike<number>, level: number): number => {
  const pos = level * (sorted.length - 1);
  const lo = Math.floor(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? a;
  return a + (b - a) * (pos - lo);
};

/** Median of an unsorted sample (linear between the middle two); 0 for an empty sample. */
export const median = (values: ArrayLike<number>): number =>
  values.length === 0 ? 0 : sortedQuantile(Float64Array.from(values).sort(), 0.5);

/**
 * Nearest-rank percentile of an unsorted sample (the value at floor(level · n)), as latency
 * reports quote it; NaN for an empty sample.
 */
export const nearestRankPercentile = (values: ArrayLike<number>, level: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))] ?? Number.NaN;
};
