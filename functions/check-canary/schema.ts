// check-canary's input: the canary the serving pointer names, the champion beside it, the bake,
// and the canary alarms as the state machine's DescribeAlarms returned them.
import { z } from 'zod';

export const AlarmState = z
  .object({
    AlarmName: z.string(),
    StateValue: z.string(),
    StateReason: z.string().optional(),
  })
  .loose();
export type AlarmState = z.infer<typeof AlarmState>;

export const CheckCanaryInput = z.object({
  /** The canary's version and when it began serving (record-run's clock). */
  version: z.string().min(1),
  startedAt: z.string(),
  championVersion: z.string().min(1),
  /** Seconds the canary serves before it may be promoted (the stage's bakeSeconds). */
  bakeSeconds: z.coerce.number().min(0),
  /** Relative realised wQL the canary may lose to the champion, e.g. 0.1 = 10% worse at most. */
  lossTolerance: z.coerce.number().min(-1).max(10).default(0.1),
  /** Paired realised points (canary and champion shadow, same requests) needed to compare. */
  minPoints: z.coerce.number().int().min(1).default(24),
  alarms: z.array(AlarmState).default([]),
});
export type CheckCanaryInput = z.infer<typeof CheckCanaryInput>;

export interface RealisedSide {
  version: string;
  points: number;
  meanWql: number | null;
}

export interface CheckCanaryResult {
  /** wait: still baking; promote: all traffic to the canary; rollback: restore the champion. */
  action: 'wait' | 'promote' | 'rollback';
  reasons: string[];
  canary: RealisedSide;
  champion: RealisedSide;
}
