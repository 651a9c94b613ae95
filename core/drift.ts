// Data-drift statistics: histograms on fixed, per-metric bin edges (so any two profiles are
// comparable without the raw data) and the population stability index between two of them.
import { METRICS, type Metric } from './metrics.js';

/**
 * Bin edges (µg/m³) per metric: roughly logarithmic over each pollutant's plausible range.
 * Values below the first edge fall in bin 0, above the last in the final bin.
 */
export const BIN_EDGES: Record<Metric, number[]> = {
  o3: [5, 10, 20, 30, 45, 60, 80, 100, 130, 160, 200, 260],
  pm25: [5, 10, 15, 25, 35, 50, 75, 100, 150, 200, 300, 500],
  pm10: [10, 20, 30, 50, 70, 100, 150, 200, 300, 400, 600],
  co: [200, 300, 400, 600, 800, 1000, 1500, 2000, 3000, 4000, 6000],
  so2: [2, 4, 6, 10, 15, 20, 30, 50, 80, 120],
  no2: [5, 10, 20, 30, 40, 55, 70, 90, 120, 160],
};

export interface Histogram {
  /** Count per bin; length = edges + 1. */
  counts: number[];
  total: number;
}

export type DriftProfile = Partial<Record<Metric, Histogram>>;

const binOf = (value: number, edges: number[]): number => {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value < (edges[mid] ?? Number.POSITIVE_INFINITY)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

export const histogram = (values: Iterable<number>, edges: number[]): Histogram => {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let total = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const bin = binOf(v, edges);
    counts[bin] = (counts[bin] ?? 0) + 1;
    total++;
  }
  return { counts, total };
};

/**
 * Additive (Laplace) smoothing per bin: an empty bin must not make the PSI explode, and small
 * samples of the same distribution must score near zero.
 */
const SMOOTHING = 0.5;

/**
 * Population stability index Σ (a − e) · ln(a / e) over bin shares. Rule of thumb: < 0.1 stable,
 * 0.1–0.25 moderate shift, > 0.25 significant shift.
 */
export const psi = (expected: Histogram, actual: Histogram): number => {
  if (expected.total === 0 || actual.total === 0) return 0;
  const bins = expected.counts.length;
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    const e = ((expected.counts[i] ?? 0) + SMOOTHING) / (expected.total + SMOOTHING * bins);
    const a = ((actual.counts[i] ?? 0) + SMOOTHING) / (actual.total + SMOOTHING * bins);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
};

/**
 * A profile built one reading at a time, so a window of any length is profiled in the memory of
 * its histograms: equal to `driftProfile` of the same values.
 */
export class DriftProfileBuilder {
  private readonly histograms: DriftProfile = {};

  add(metric: Metric, value: number): void {
    if (!Number.isFinite(value)) return;
    const edges = BIN_EDGES[metric];
    let h = this.histograms[metric];
    if (!h) {
      h = { counts: new Array<number>(edges.length + 1).fill(0), total: 0 };
      this.histograms[metric] = h;
    }
    const bin = binOf(value, edges);
    h.counts[bin] = (h.counts[bin] ?? 0) + 1;
    h.total++;
  }

  profile(): DriftProfile {
    const out: DriftProfile = {};
    for (const metric of METRICS) {
      const h = this.histograms[metric];
      if (h) out[metric] = { counts: [...h.counts], total: h.total };
    }
    return out;
  }
}

/** Profiles every metric's values (e.g. the hourly means of a DeepAR channel). */
export const driftProfile = (valuesByMetric: Partial<Record<Metric, number[]>>): DriftProfile => {
  const profile: DriftProfile = {};
  for (const metric of METRICS) {
    const values = valuesByMetric[metric];
    if (values && values.length > 0) profile[metric] = histogram(values, BIN_EDGES[metric]);
  }
  return profile;
};

/** PSI per metric present in both profiles. */
export const psiByMetric = (
  baseline: DriftProfile,
  current: DriftProfile,
): Partial<Record<Metric, number>> => {
  const out: Partial<Record<Metric, number>> = {};
  for (const metric of METRICS) {
    const b = baseline[metric];
    const c = current[metric];
    if (b && c) out[metric] = psi(b, c);
  }
  return out;
};
