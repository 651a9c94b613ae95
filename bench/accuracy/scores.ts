// Accuracy bookkeeping for the rolling-origin benchmark: MASE against the in-sample
// seasonal-naive-24 MAE, wQL over the quantiles 0.1/0.5/0.9, coverage of [q0.1, q0.9].

import { COVERAGE_METRIC, ForecastScorer, WQL_METRIC } from '../../core/forecast-scores.js';

export const LEVELS = [0.1, 0.5, 0.9] as const;

/** One forecast: the three quantile paths (the median doubles as the point forecast). */
export interface QuantileForecast {
  q10: number[];
  q50: number[];
  q90: number[];
}

const KEYS = LEVELS.map(String);

/** wQL and coverage from the shared scorer (core/forecast-scores); MASE is the benchmark's own. */
export class Score {
  private maseSum = 0;
  private maseCount = 0;
  private readonly scorer = new ForecastScorer(LEVELS);

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
      const median = forecast.q50[h] ?? 0;
      this.scorer.add({
        actual: y,
        mean: median,
        quantiles: {
          [KEYS[0] as string]: forecast.q10[h] ?? 0,
          [KEYS[1] as string]: median,
          [KEYS[2] as string]: forecast.q90[h] ?? 0,
        },
      });
      absError += Math.abs(y - median);
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
    this.scorer.merge(other.scorer);
  }

  summary() {
    const metrics = this.scorer.metrics();
    return {
      mase: this.maseSum / Math.max(1, this.maseCount),
      wql: metrics[WQL_METRIC] ?? 0,
      cov80: metrics[COVERAGE_METRIC] ?? 0,
      points: this.scorer.count,
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
