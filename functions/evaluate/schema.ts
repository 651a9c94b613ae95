// evaluate's input: the challenger's training metrics and what check-drift measured of the champion.
import { z } from 'zod';

export const EvaluateInput = z.object({
  /** SageMaker's FinalMetricDataList of the training job. */
  challengerMetrics: z.array(z.object({ MetricName: z.string(), Value: z.number() })).default([]),
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
