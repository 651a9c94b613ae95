// Accuracy bookkeeping for the rolling-origin benchmark: MASE against the in-sample
// seasonal-naive-24 MAE, wQL over the quantiles 0.1/0.5/0.9, coverage of [q0.1, q0.9].

export const LEVELS = [0.1, 0.5, 0.9] as const;

/** One forecast: the three quantile paths (the median doubles as the point forecast). */
export interface QuantileForecast {
  q10: number[];
  q50: number[];
  q90: number[];
}

export class Score {
  private maseSum = 0;
  private maseCount = 0;
  private pinball = 0;
  private absTotal = 0;
  private covered = 0;
  private points = 0;

  /** Adds one origin: `history` for the MASE scale, `actual` the next values. */
  add(
    history: ReadonlyArray<number | null>,
    actual: ReadonlyArray<number | null>,
    forecast: QuantileForecast,
  ) {
    const scale = seasonalNaiveMae(history, 24);
    let absError = 0;
    let observed = 0;
    actual.forEach((y, h) => {
      if (y === null || y === undefined) return;
      const q = [forecast.q10[h] ?? 0, forecast.q50[h] ?? 0, forecast.q90[h] ?? 0];
      LEVELS.forEach((level, i) => {
        const e = q[i] ?? 0;
        this.pinball += 2 * Math.abs((y - e) * ((y <= e ? 1 : 0) - level));
      });
      this.absTotal += Math.abs(y);
      if (y >= (q[0] ?? 0) && y <= (q[2] ?? 0)) this.covered++;
      this.points++;
      absError += Math.abs(y - (q[1] ?? 0));
      observed++;
    });
    if (observed > 0 && scale > 0) {
      this.maseSum += absError / observed / scale;
      this.maseCount++;
    }
  }

  merge(other: Score) {
    this.maseSum += other.maseSum;
    this.maseCount += other.maseCount;
    this.pinball += other.pinball;
    this.absTotal += other.absTotal;
    this.covered += other.covered;
    this.points += other.points;
  }

  summary() {
    return {
      mase: this.maseSum / Math.max(1, this.maseCount),
      wql: this.pinball / LEVELS.length / Math.max(1e-12, this.absTotal),
      cov80: this.covered / Math.max(1, this.points),
      points: this.points,
    };
  }
}

/** In-sample MAE of the seasonal-naive forecast over observed pairs (MASE's denominator). */
export const seasonalNaiveMae = (history: ReadonlyArray<number | null>, season: number): number => {
  let sum = 0;
  let count = 0;
  for (let t = season; t < history.length; t++) {
    const a = history[t];
    const b = history[t - season];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    sum += Math.abs(a - b);
    count++;
  }
  return count > 0 ? sum / count : 0;
};

export const percentile = (values: number[], level: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))] ?? Number.NaN;
};
