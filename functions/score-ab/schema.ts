// score-ab's input and output: one round of an A/B test between the champion and challenger.
import { z } from 'zod';

export const ScoreABInput = z.object({
  runId: z.string().min(1),
  /** Required relative wQL difference before weights move (the promotion margin). */
  promotionMargin: z.coerce.number().min(-1).max(1).default(0.02),
  /** Weight moved toward the better variant per round. */
  abStep: z.coerce.number().gt(0).max(1).default(0.25),
});
export type ScoreABInput = z.infer<typeof ScoreABInput>;

export interface ScoreABResult {
  /** False when no A/B test runs: the run goes on to the drift check. */
  active: boolean;
  /** none: too few new readings yet; shift: move weights; conclude: one variant wins. */
  action: 'none' | 'shift' | 'conclude';
  championWeight: number;
  challengerWeight: number;
  /** The weights models/serving.json names now: what a failed conclusion restores. */
  servingChampionWeight: number;
  servingChallengerWeight: number;
  winner: 'champion' | 'challenger' | null;
  /** SageMaker model name of the winner, when concluding. */
  winnerModel: string | null;
  /** Endpoint config name for the concluding single-variant deployment. */
  finalConfigName: string | null;
  championWql: number | null;
  challengerWql: number | null;
  hours: number;
  reasons: string[];
}
