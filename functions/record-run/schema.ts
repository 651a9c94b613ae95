// record-run's input: the outcome the state machine reached and the whole execution state.
import { z } from 'zod';
import { ALGORITHMS } from '../../core/engine-artifact.js';
import { DriftReport, Evaluation, Outcome } from '../../core/model-card.js';

/** A canary left in the pointer by a run that ended mid-bake, once the pointer is restored. */
export const LeftoverCanary = z.object({
  /** The run whose canary the pointer named. */
  runId: z.string().min(1),
  /** The canary's version. */
  version: z.string().min(1),
  /** The champion the pointer names again. */
  championVersion: z.string().nullable(),
});
export type LeftoverCanary = z.infer<typeof LeftoverCanary>;

export const RunState = z.object({
  runId: z.string().min(1),
  startedAt: z.string(),
  endpointName: z.string(),
  hyperParameters: z.record(z.string(), z.string()).default({}),
  /** The run's policy (stage parameters, as strings in the definition). */
  policy: z.object({ psiThreshold: z.coerce.number().optional() }).loose().optional(),
  deployment: z.object({ strategy: z.string() }).loose().optional(),
  prepare: z.object({ version: z.string() }).loose().optional(),
  drift: DriftReport.optional(),
  training: z
    .object({
      trainingJobName: z.string(),
      modelDataUrl: z.string(),
      metrics: z.array(z.object({ MetricName: z.string(), Value: z.number() })).optional(),
      /** Absent: SageMaker's DeepAR job (the Train state names it deepar). */
      algorithm: z.enum(ALGORITHMS).optional(),
    })
    .optional(),
  evaluation: Evaluation.optional(),
  endpoint: z.object({ status: z.string(), endpointConfigName: z.string() }).optional(),
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /** The engine canary this run started (record-run's answer): the pointer's ETag it wrote. */
  canary: z.object({ pointerEtag: z.string().nullable().optional() }).loose().optional(),
  /** DescribeExecution of the run whose canary the pointer names (LeftoverCanary?). */
  canaryRun: z.object({ status: z.string() }).loose().optional(),
  /** The engine canary's last verdict (check-canary), when this run baked one. */
  canaryCheck: z
    .object({ action: z.enum(['wait', 'promote', 'rollback']), reasons: z.array(z.string()) })
    .loose()
    .optional(),
  /**
   * The config that served before this run's deployment (FindEndpoint), when there was one; a
   * Failed endpoint that was deleted and created anew leaves `{}` (ForgetFailedEndpoint).
   */
  previous: z.object({ endpointConfigName: z.string().optional() }).optional(),
  /** The restore path: the endpoint as last seen, the UpdateEndpoint sent, or why it failed. */
  restoreCheck: z.object({ status: z.string(), endpointConfigName: z.string() }).optional(),
  restored: z.object({ endpointArn: z.string() }).optional(),
  /** Set once UpdateABWeights succeeded: the endpoint serves the round's new weights. */
  weightsUpdated: z.object({ endpointArn: z.string() }).optional(),
  restoreError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  /** What score-ab decided this run (always present: active false without an A/B test). */
  ab: z
    .object({
      active: z.boolean(),
      action: z.enum(['none', 'shift', 'conclude']),
      challengerWeight: z.number(),
      servingChampionWeight: z.number().optional(),
      servingChallengerWeight: z.number().optional(),
      winner: z.enum(['champion', 'challenger']).nullable(),
      reasons: z.array(z.string()),
    })
    .loose()
    .optional(),
});
export type RunState = z.infer<typeof RunState>;

export const RecordRunInput = z.object({
  outcome: Outcome,
  state: RunState,
  /** Set when the run rolled back a canary another run left mid-bake: that run is recorded. */
  leftoverCanary: LeftoverCanary.optional(),
});
export type RecordRunInput = z.infer<typeof RecordRunInput>;
