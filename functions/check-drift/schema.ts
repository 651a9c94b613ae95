// check-drift's input, as the retrain state machine passes it (numbers arrive as strings from
// DefinitionSubstitutions).
import { z } from 'zod';

export const DriftPolicy = z.object({
  /** Any metric's PSI above this is data drift. */
  psiThreshold: z.coerce.number().positive().default(0.2),
  /** Champion's recent wQL / its backtest wQL above this is model-quality drift. */
  qualityDriftRatio: z.coerce.number().positive().default(1.5),
  /** A champion older than this is retrained regardless. */
  maxModelAgeHours: z.coerce.number().positive().default(168),
});
export type DriftPolicy = z.infer<typeof DriftPolicy>;

export const CheckDriftInput = z.object({
  runId: z.string().min(1),
  predictionLength: z.coerce.number().int().min(1),
  policy: DriftPolicy,
});
export type CheckDriftInput = z.infer<typeof CheckDriftInput>;
