// The one forecast scorer, in SageMaker DeepAR's metric names, accumulated point by point so every
// source of forecasts is scored the same way: the engine's test channel (forecasting/evaluation),
// a deployed endpoint on held-out windows (functions/common/held-out), and the accuracy benchmark.
// RMSE, wQuantileLoss[q] = 2 Σ|pinball_q| / Σ|y|, their mean, and the 80% interval coverage.
export interface ForecastPoint {
  actual: number;
  mean: number;
  /** Quantile level (as a string key, e.g. "0.1") → forecast value. */
  quantiles: Record<string, number>;
}

export type ScoreMetrics = Record<string, number>;

export const WQL_METRIC = 'test:mean_wQuantileLoss';
export const RMSE_METRIC = 'test:RMSE';
export const COVERAGE_METRIC = 'test:coverage80';
export const wqlMetric = (level: string): string => `test:wQuantileLoss[${level}]`;

/** The interval whose coverage is reported: [q0.1, q0.9]. */
export const COVERAGE_LEVELS = ['0.1', '0.9'] as const;

export class ForecastScorer {
  private squaredError = 0;
  private absActual = 0;
  private covered = 0;
  private points = 0;
  private readonly levels: string[];
  private readonly pinball = new Map<string, number>();

  /** `levels` are the quantile levels scored by wQL, as numbers or their String() keys. */
  constructor(levels: ReadonlyArray<string | number>) {
    this.levels = levels.map(String);
    for (const level of this.levels) this.pinball.set(level, 0);
  }

  /** Scores one point; a point without a finite actual value is not counted. */
  add(point: ForecastPoint): void {
    const y = point.actual;
    if (!Number.isFinite(y)) return;
    this.points++;
    this.absActual += Math.abs(y);
    this.squaredError += (point.mean - y) ** 2;
    for (const level of this.levels) {
      const q = Number(level);
      const estimate = point.quantiles[level] ?? Number.NaN;
      const loss = 2 * Math.abs((y - estimate) * ((y <= estimate ? 1 : 0) - q));
      this.pinball.set(level, (this.pinball.get(level) ?? 0) + loss);
    }
    const lo = point.quantiles[COVERAGE_LEVELS[0]];
    const hi = point.quantiles[COVERAGE_LEVELS[1]];
    if (lo !== undefined && hi !== undefined && y >= lo && y <= hi) this.covered++;
  }

  /** Adds another scorer's points (same levels), as if they had been added here. */
  merge(other: ForecastScorer): void {
    this.squaredError += other.squaredError;
    this.absActual += other.absActual;
    this.covered += other.covered;
    this.points += other.points;
    for (const level of this.levels) {
      this.pinball.set(level, (this.pinball.get(level) ?? 0) + (other.pinball.get(level) ?? 0));
    }
  }

  get count(): number {
    return this.points;
  }

  /** The metrics; none without points, and no wQL when every actual value is 0. */
  metrics(): ScoreMetrics {
    if (this.points === 0) return {};
    const out: ScoreMetrics = { [RMSE_METRIC]: Math.sqrt(this.squaredError / this.points) };
    if (this.absActual > 0) {
      let sum = 0;
      for (const level of this.levels) {
        const w = (this.pinball.get(level) ?? 0) / this.absActual;
        out[wqlMetric(level)] = w;
        sum += w;
      }
      out[WQL_METRIC] = sum / this.levels.length;
    }
    out[COVERAGE_METRIC] = this.covered / this.points;
    return out;
  }
}
