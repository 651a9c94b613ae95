// What every model shares around its own maths: which metric group a series belongs to, and the
// DeepAR prediction (mean, the requested quantiles, sample paths) built from the model's
// per-step quantile function.
import type { DeepArPrediction } from '../../core/ports.js';
import { samplePaths } from './random.js';
import type { PredictConfig, Series } from './types.js';

/** The metric group of a series: its second category (the metric index), if it has one. */
export const metricKey = (series: Series): string | undefined =>
  series.cat?.[1] === undefined ? undefined : String(series.cat[1]);

/** A forecast's marginal distributions, one per step. */
export interface StepDistributions {
  steps: number;
  /** The value at probability `level` of step `step`. */
  at: (step: number, level: number) => number;
  mean: (step: number) => number;
  /** Step-to-step correlation of the sample paths. */
  pathCorrelation: number;
}

/** The outputs the caller asked for, in DeepAR's order: mean, quantiles, samples. */
export const predictionOf = (
  forecast: StepDistributions,
  config: PredictConfig,
): DeepArPrediction => {
  const { steps, at } = forecast;
  const prediction: DeepArPrediction = {};
  if (config.outputTypes.includes('mean')) {
    prediction.mean = Array.from({ length: steps }, (_, s) => forecast.mean(s));
  }
  if (config.outputTypes.includes('quantiles')) {
    prediction.quantiles = {};
    for (const { key, level } of config.quantiles) {
      prediction.quantiles[key] = Array.from({ length: steps }, (_, s) => at(s, level));
    }
  }
  if (config.outputTypes.includes('samples')) {
    prediction.samples = samplePaths(
      steps,
      config.numSamples,
      config.seed,
      forecast.pathCorrelation,
      at,
    );
  }
  return prediction;
};
