// DeepAR-style evaluation, independent of any engine: each test series is forecast from all but
// its last prediction_length points and scored on those points. Metric names are SageMaker
// DeepAR's, so dashboards and the evaluate step read the same names on AWS and locally.
import { NotEnoughDataError } from '../../core/errors.js';
import {
  COVERAGE_LEVELS,
  COVERAGE_METRIC,
  ForecastScorer,
  RMSE_METRIC,
  WQL_METRIC,
  wqlMetric,
} from '../../core/forecast-scores.js';
import type { DeepArPrediction } from '../../core/ports.js';
import type { Series } from '../model/types.js';

export interface Metric {
  name: string;
  value: number;
}

/** Forecast of one history: mean plus the requested quantile levels (keys = String(level)). */
export type Predictor = (history: Series, levels: number[]) => DeepArPrediction;

export const evaluate = (
  testSeries: Series[],
  predictionLength: number,
  testQuantiles: number[],
  predictor: Predictor,
): Metric[] => {
  const levels = [...new Set([...testQuantiles, ...COVERAGE_LEVELS.map(Number)])];
  const scorer = new ForecastScorer(testQuantiles);
  for (const series of testSeries) {
    const cut = series.target.length - predictionLength;
    if (cut < 1) continue;
    const actual = series.target.slice(cut);
    if (actual.every((v) => v === null)) continue;
    const forecast = predictor({ ...series, target: series.target.slice(0, cut) }, levels);
    actual.forEach((y, h) => {
      if (y === null) return;
      const quantiles: Record<string, number> = {};
      for (const level of levels) {
        quantiles[String(level)] = forecast.quantiles?.[String(level)]?.[h] ?? Number.NaN;
      }
      scorer.add({ actual: y, mean: forecast.mean?.[h] ?? Number.NaN, quantiles });
    });
  }
  if (scorer.count === 0) {
    throw new NotEnoughDataError(
      `test channel has no series longer than prediction_length (${predictionLength}) with observed values in its last ${predictionLength} points`,
    );
  }
  // SageMaker's order: RMSE, the mean wQL, each level's wQL, coverage. wQL is absent when every
  // observed value is 0 (it is normalised by their total).
  const scores = scorer.metrics();
  const names = [
    RMSE_METRIC,
    WQL_METRIC,
    ...testQuantiles.map((level) => wqlMetric(String(level))),
    COVERAGE_METRIC,
  ];
  return names.flatMap((name) => {
    const value = scores[name];
    return value === undefined ? [] : [{ name, value }];
  });
};
