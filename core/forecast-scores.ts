// Forecast accuracy in SageMaker DeepAR's metric names, accumulated point by point so any source
// of forecasts (a training job's test channel, a deployed endpoint) is scored the same way:
// RMSE, wQuantileLoss[q] = 2 Σ|pinball_q| / Σ|y|, their mean, and the 80% interval coverage.
export interface ForecastPoint {
  actual: number;
  mean: number;
  /** Quantile level (as a string key, e.g. "0.1") → forecast value. */
  quantiles: Record<string, number>;
}

export type ScoreMetrics = Record<string, number>;

export class ForecastScorer {
  private squaredError = 0;
  private absActual = 0;
  private covered = 0;
  private points = 0;
  private readonly pinball = new Map<string, number>();

  constructor(private readonly levels: string[]) {
    for (const level of levels) this.pinball.set(level, 0);
  }

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
    const lo = point.quantiles['0.1'];
    const hi = point.quantiles['0.9'];
    if (lo !== undefined && hi !== undefined && y >= lo && y <= hi) this.covered++;
  }

  get count(): number {
    return this.points;
  }

  metrics(): ScoreMetrics {
    if (this.points === 0) return {};
    const out: ScoreMetrics = { 'test:RMSE': Math.sqrt(this.squaredError / this.points) };
    if (this.absActual > 0) {
      let sum = 0;
      for (const level of this.levels) {
        const w = (this.pinball.get(level) ?? 0) / this.absActual;
        out[`test:wQuantileLoss[${level}]`] = w;
        sum += w;
      }
      out['test:mean_wQuantileLoss'] = sum / this.levels.length;
    }
    out['test:coverage80'] = this.covered / this.points;
    return out;
  }
}

export const WQL_METRIC = 'test:mean_wQuantileLoss';
