// train-engine's input: the run whose prepared channels it trains on, and DeepAR's hyperparameters
// (the engine reads the same ones, as its training container does).
import { z } from 'zod';

export const TrainEngineInput = z.object({
  runId: z.string().min(1),
  /** The version prepare-deepar gave this run's data (the model's version). */
  version: z.string().min(1),
  hyperParameters: z.record(z.string(), z.string()),
});
export type TrainEngineInput = z.infer<typeof TrainEngineInput>;
