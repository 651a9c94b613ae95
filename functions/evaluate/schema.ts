// evaluate's input: the challenger's training metrics and what check-drift measured of the champion.
import { z } from 'zod';
import { ALGORITHMS } from '../../core/engine-artifact.js';

const Metrics = z.array(z.object({ MetricName: z.string(), Value: z.number() }));

/** One trained candidate, as its training step returned it (SageMaker's job or train-engine). */
export const Candidate = z.object({
  trainingJobName: z.string(),
  modelDataUrl: z.string(),
  metrics: Metrics.default([]),
  algorithm: z.enum(ALGORITHMS),
});
export type Candidate = z.infer<typeof Candidate>;

/** A candidate whose training failed (its TrainBoth branch caught the error): why, no model. */
export const FailedCandidate = z.object({
  algorithm: z.enum(ALGORITHMS),
  failed: z.literal(true),
  error: z.string(),
  cause: z.string().default(''),
});
export type FailedCandidate = z.infer<typeof FailedCandidate>;

export const EvaluateInput = z.object({
  /** SageMaker's FinalMetricDataList of the training job. */
  challengerMetrics: Metrics.default([]),
  /**
   * With algorithm both: every candidate of the run. The better on the held-out window is the
   * challenger (its metrics replace challengerMetrics).
   */
  candidates: z
    .array(z.union([FailedCandidate, Candidate]))
    .min(1)
    .optional(),
  championVersion: z.string().nullable(),
  championRecentWql: z.number().nullable(),
  championBacktestWql: z.number().nullable(),
  /** Required relative improvement over the champion, e.g. 0.02 = 2% lower wQL. */
  promotionMargin: z.coerce.number().min(-1).max(1).default(0.02),
  /** With both: the served models are backtested on this run's held-out days (GET /accuracy). */
  runId: z.string().min(1).optional(),
  predictionLength: z.coerce.number().int().min(1).max(720).optional(),
});
export type EvaluateInput = z.infer<typeof EvaluateInput>;
