// Which engine trains new models, and how a saved model finds the engine that reads it.
import { ModelLoadError } from '../errors.js';
import { globalLag } from './global-lag.js';
import { seasonalNaive } from './seasonal-naive.js';
import type { Forecaster, ModelJson } from './types.js';

// Older artifacts (the seasonal-naive baseline) stay loadable after the default changes.
const ENGINES: ReadonlyArray<Forecaster> = [
  globalLag as unknown as Forecaster,
  seasonalNaive as unknown as Forecaster,
];

/** The engine new training jobs use. */
export const defaultForecaster: Forecaster = globalLag as unknown as Forecaster;

export const forecasterFor = (model: unknown): { forecaster: Forecaster; model: ModelJson } => {
  const engine = (model as { engine?: unknown } | null)?.engine;
  const forecaster = ENGINES.find((f) => f.engine === engine);
  if (!forecaster) throw new ModelLoadError(`unknown model engine ${JSON.stringify(engine)}`);
  return { forecaster, model: forecaster.parse(model) };
};
