// DeepAR-style evaluation, independent of any engine: each test series is forecast from all but
// its last prediction_length points and scored on those points. Metric names are SageMaker
// DeepAR's, so dashboards and the evaluate step read the same names on AWS and locally.
import { NotEnoughDataError } from '../../core/errors.js';
import type { DeepArPrediction } from '../../core/ports.js';
import type { Series } from '../model/types.js';

export interface Metric {
  name: string;
  value: number;
}

/** Forecast of one history: mean plus the requested quantile levels (keys = String(level)). */
export type Predictor = (history: Series, levels: number[]) => DeepArPrediction;

const COVERAGE_LOW = 0.1;
const COVERAGE_HIGH = 0.9;

export const evaluate = (
  testSeries: Series[],
  predictionLength: number,
  testQuantiles: number[],
  predictor: Predictor,
): Metric[] => {
  const levels = [...new Set([...testQuantiles, COVERAGE_LOW, COVERAGE_HIGH])];
  let squaredError = 0;
  let points = 0;
  let absTotal = 0;
  let covered = 0;
  const quantileLoss = new Map<number, number>(testQuantiles.map((q) => [q, 0]));
  for (const series of testSeries) {
    const cut = series.target.length - predictionLength;
    if (cut < 1) continue;
    const actual = series.target.slice(cut);
    if (actual.every((v) => v === null)) continue;
    const forecast = predictor({ ...series, target: series.target.slice(0, cut) }, levels);
    const q = (level: number, h: number) => forecast.quantiles?.[String(level)]?.[h] ?? Number.NaN;
    actual.forEach((y, h) => {
      if (y === null) return;
      points++;
      absTotal += Math.abs(y);
      squaredError += ((forecast.mean?.[h] ?? Number.NaN) - y) ** 2;
      if (y >= q(COVERAGE_LOW, h) && y <= q(COVERAGE_HIGH, h)) covered++;
      for (const level of testQuantiles) {
        const estimate = q(level, h);
        const loss = 2 * Math.abs((y - estimate) * ((y <= estimate ? 1 : 0) - level));
        quantileLoss.set(level, (quantileLoss.get(level) ?? 0) + loss);
      }
    });
  }
  if (points === 0) {
    throw new NotEnoughDataError(
      `test channel has no series longer than prediction_length (${predictionLength}) with observed values in its last ${predictionLength} points`,
    );
  }
  const metrics: Metric[] = [{ name: 'test:RMSE', value: Math.sqrt(squaredError / points) }];
  // Weighted quantile loss is normalised by the total observed value; undefined when all are 0.
  if (absTotal > 0) {
    const weighted = testQuantiles.map((level) => ({
      name: `test:wQuantileLoss[${level}]`,
      value: (quantileLoss.get(level) ?? 0) / absTotal,
    }));
    const mean = weighted.reduce((sum, m) => sum + m.value, 0) / weighted.length;
    metrics.push({ name: 'test:mean_wQuantileLoss', value: mean }, ...weighted);
  }
  metrics.push({ name: 'test:coverage80', value: covered / points });
  return metrics;
};
