// The seam between the SageMaker contracts and the model: anything that can learn from DeepAR
// series and forecast one instance fits here. A stronger engine replaces the baseline behind
// these types without touching the trainer, the model server or the control plane.
import type { Series } from '../../core/deepar.js';
import type { DeepArPrediction } from '../../core/ports.js';
import type { DeepArHyperparameters } from './hyperparameters.js';

/** The engine works on core's one DeepAR series type (gaps as null). */
export type { Series };

/** What the caller wants back; defaults already applied. */
export interface PredictConfig {
  outputTypes: ReadonlyArray<'mean' | 'quantiles' | 'samples'>;
  /** Quantile keys exactly as requested (e.g. "0.1"); parsed levels alongside. */
  quantiles: ReadonlyArray<{ key: string; level: number }>;
  numSamples: number;
  /** Seeds the sample paths so the same request gives the same answer. */
  seed: number;
}

/** The serialised model: JSON that names its engine, so the loader can dispatch. */
export interface ModelJson {
  engine: string;
  predictionLength: number;
  [field: string]: unknown;
}

export interface Forecaster<M extends ModelJson = ModelJson> {
  readonly engine: string;
  train(series: Series[], hyperparameters: DeepArHyperparameters, seed: number): M;
  /** Checks a deserialised model (throws ModelLoadError when it is not one of ours). */
  parse(json: unknown): M;
  predict(model: M, instance: Series, config: PredictConfig): DeepArPrediction;
}
