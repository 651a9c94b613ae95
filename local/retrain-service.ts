// The local retrain service: what EventBridge + Step Functions + the step Lambdas are on AWS.
// Builds the definition's substitutions from the runtime settings, wires every Task to its local
// twin, runs one execution at a time and records each execution and its outcome.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { z } from 'zod';
import type { AlgorithmChoice } from '../core/engine-artifact.js';
import { ConfigError } from '../core/errors.js';
import { RunSummary, runSummaryKey } from '../core/model-card.js';
import type { ModelEndpoint, ObjectStore } from '../core/ports.js';
import { decodeText } from '../core/text.js';
import { makeHandler as makeCheckCanaryHandler } from '../functions/check-canary/handler.js';
import { makeHandler as makeCheckDriftHandler } from '../functions/check-drift/handler.js';
import { InProcessEngine } from '../functions/common/adapters/in-process-engine.js';
import { servingEndpoint } from '../functions/common/adapters/serving-endpoint.js';
import { cachedModelCard, type ModelCardSource } from '../functions/common/model-card-source.js';
import { readServingPointer } from '../functions/common/serving-pointer.js';
import { makeHandler as makeEvaluateHandler } from '../functions/evaluate/handler.js';
import { makeHandler as makePrepareHandler } from '../functions/prepare-deepar/handler.js';
import { makeHandler as makeRecordRunHandler } from '../functions/record-run/handler.js';
import { recordLeftoverCanary } from '../functions/record-run/leftover-canary.js';
import type { LeftoverCanary } from '../functions/record-run/schema.js';
import { makeHandler as makeScoreABHandler } from '../functions/score-ab/handler.js';
import { servingCard } from '../functions/status/pipeline-records.js';
import { makeHandler as makeTrainEngineHandler } from '../functions/train-engine/handler.js';
import { runEtl } from '../glue/twin/etl.js';
import { LocalCloudWatch } from './cloudwatch/local-cloudwatch.js';
import { type ExecutionRecord, newRunId, saveExecution } from './execution-record.js';
import { executionStates } from './execution-states.js';
import { authorizedAlarms } from './iam/authorized-alarms.js';
import { authorizedExecutions } from './iam/authorized-executions.js';
import { authorizedNotify, type Notification } from './iam/authorized-invocations.js';
import { authorizedControlPlane } from './iam/authorized-sagemaker.js';
import type { LocalCaller } from './iam/callers.js';
import type { LocalIam } from './iam/local-iam.js';
import { pointerObjects } from './pointer-objects.js';
import {
  LOCAL_EXECUTION_ARN_PREFIX,
  runRetrain,
  type SageMakerControlPlane,
} from './retrain-runner.js';
import {
  type EndpointRepair,
  type InterruptedRun,
  reconcileEndpoint,
  recordInterruptedRuns,
  recordRunEnd,
  recordRunStart,
  rollBackLeftoverCanary,
} from './run-recovery.js';
import { runTrainingContainer } from './sagemaker/control-plane/training-container.js';
import { SerialQueue } from './serial-queue.js';
import { loadStageParams, RetrainParams, type StageParams } from './stage-params.js';

/** The retraining policy and deployment strategy (per stage on AWS: serverless.yml params). */
export interface RetrainPolicy {
  /** deepar: SageMaker job + endpoint; smogcast: the engine Lambda, served in process; both. */
  algorithm: AlgorithmChoice;
  /** ab: the challenger serves beside the champion by weight, scored round by round. */
  strategy: 'canary' | 'linear' | 'all-at-once' | 'ab';
  linearStepPercent: number;
  /** Bake period after each traffic shift, seconds (scaled down locally by the endpoint). */
  bakeSeconds: number;
  terminationWaitSeconds: number;
  psiThreshold: number;
  qualityDriftRatio: number;
  maxModelAgeHours: number;
  promotionMargin: number;
  /** Share of devices (1..99 %) an engine canary serves beside an engine champion. */
  engineCanaryPercent: number;
  /** Relative realised wQL an engine canary may lose to the champion before it rolls back. */
  canaryLossTolerance: number;
}

/** The policy a stage's serverless.yml params describe. */
export const policyFromParams = (params: StageParams): RetrainPolicy => {
  const parsed = RetrainParams.safeParse(params);
  if (!parsed.success) {
    throw new ConfigError(`serverless.yml params: ${z.prettifyError(parsed.error)}`);
  }
  const { deploymentStrategy, ...rest } = parsed.data;
  return { strategy: deploymentStrategy, ...rest };
};

/**
 * The deployed default stage's policy, bake and termination waits included: the local endpoint
 * runs them on its own clock (one SageMaker minute lasts a second), not shortened values.
 */
export const DEFAULT_POLICY: RetrainPolicy = policyFromParams(loadStageParams());

/**
 * The DeepAR hyperparameters the default stage trains with, so the local SageMaker checks the
 * very values AWS's training job receives (the twin's trainer accepts them and runs the engine).
 */
const TRAINING_HYPERPARAMETERS = z
  .object({ epochs: z.coerce.number().int().min(1), likelihood: z.string().min(1) })
  .parse(loadStageParams());

/** Names of the rollback alarms the deployment names; the local endpoint defines them. */
export const LOCAL_ROLLBACK_ALARMS = {
  errors: 'smogcast-local-primary-5xx',
  latency: 'smogcast-local-primary-latency',
};

/** The engine canary's forecast-error alarm, as the local CloudWatch stand-in defines it. */
export const LOCAL_CANARY_ALARM = 'smogcast-local-canary-forecast-errors';

/** The local CloudWatch with the canary's alarm as serverless.yml defines it (errors ≥ 1 in 5 min). */
export const localCanaryCloudWatch = (now: () => number = Date.now): LocalCloudWatch =>
  new LocalCloudWatch(
    {
      [LOCAL_CANARY_ALARM]: {
        alarm: { metric: 'Invocation5XXErrors', threshold: 0 },
        dimensions: { Role: 'canary' },
        periodSeconds: 300,
      },
    },
    now,
  );

export interface RetrainServiceOptions {
  /** The twin's own bookkeeping (execution records, notifications), and every step's by default. */
  store: ObjectStore;
  /**
   * The lake as each step sees it (signed as its role, so IAM is enforced). With it, check-drift
   * and score-ab read the serving card through their own store, uncached, as on AWS.
   */
  storeOf?: (caller: LocalCaller) => ObjectStore;
  sagemaker: SageMakerControlPlane;
  /** With it, the state machine's SageMaker calls are authorised as its role (and SageMaker's). */
  iam?: LocalIam;
  endpoint: ModelEndpoint;
  /**
   * The endpoint as each step that invokes it sees it (check-drift, score-ab; signed as its
   * role, so the local endpoint server authorises InvokeEndpoint). Default: `endpoint`.
   */
  endpointOf?: (caller: LocalCaller) => ModelEndpoint;
  modelCard: ModelCardSource;
  bucket: string;
  endpointName: string;
  predictionLength: number;
  contextLength: number;
  historyDays: number;
  policy: RetrainPolicy;
  /** Delivers buffered ingestion before a run, so the ETL sees every acknowledged reading. */
  beforeRun: () => Promise<void>;
  endpointPollMs: number;
  /** An engine canary's bake poll, locally (default endpointPollMs; see RetrainRunOptions). */
  canaryPollMs?: number;
  log: (message: string) => void;
  now?: () => number;
  /**
   * CloudWatch's stand-in: the forecast function's metrics and the canary's alarm (the forecast
   * function must write to the same one). Default: one with the alarm and no datapoints.
   */
  cloudwatch?: LocalCloudWatch;
}

const LAMBDA_ARN = (name: string) =>
  `arn:aws:lambda:us-east-1:000000000000:function:smogcast-local-${name}`;

export const localSubstitutions = (
  o: Pick<
    RetrainServiceOptions,
    'bucket' | 'endpointName' | 'predictionLength' | 'contextLength' | 'historyDays'
  >,
  policy: RetrainPolicy,
): Record<string, string> => ({
  LakeBucket: o.bucket,
  EndpointName: o.endpointName,
  PredictionLength: String(o.predictionLength),
  ContextLength: String(o.contextLength),
  Epochs: String(TRAINING_HYPERPARAMETERS.epochs),
  Likelihood: TRAINING_HYPERPARAMETERS.likelihood,
  HistoryDays: String(o.historyDays),
  GlueJobName: 'smogcast-etl-local',
  PrepareDeepArFunctionArn: LAMBDA_ARN('prepare-deepar'),
  CheckDriftFunctionArn: LAMBDA_ARN('check-drift'),
  ScoreABFunctionArn: LAMBDA_ARN('score-ab'),
  EvaluateFunctionArn: LAMBDA_ARN('evaluate'),
  TrainEngineFunctionArn: LAMBDA_ARN('train-engine'),
  Algorithm: policy.algorithm,
  RecordRunFunctionArn: LAMBDA_ARN('record-run'),
  CheckCanaryFunctionArn: LAMBDA_ARN('check-canary'),
  RetrainExecutionArnPrefix: LOCAL_EXECUTION_ARN_PREFIX,
  EngineCanaryPercent: String(policy.engineCanaryPercent),
  CanaryLossTolerance: String(policy.canaryLossTolerance),
  CanaryErrorsAlarmName: LOCAL_CANARY_ALARM,
  DeepArImage: 'local/smogcast-forecaster:latest',
  SageMakerRoleArn: 'arn:aws:iam::000000000000:role/smogcast-local-sagemaker',
  // SageMaker's API accepts only its own instance types (the twin runs in process either way).
  TrainingInstanceType: 'ml.m5.large',
  EndpointInstanceType: 'ml.m5.large',
  EndpointInstanceCount: policy.strategy === 'all-at-once' ? '1' : '2',
  NotificationTopicArn: 'arn:aws:sns:us-east-1:000000000000:smogcast-local-notifications',
  PsiThreshold: String(policy.psiThreshold),
  QualityDriftRatio: String(policy.qualityDriftRatio),
  MaxModelAgeHours: String(policy.maxModelAgeHours),
  PromotionMargin: String(policy.promotionMargin),
  DeploymentStrategy: policy.strategy,
  LinearStepPercent: String(policy.linearStepPercent),
  BakeSeconds: String(policy.bakeSeconds),
  TerminationWaitSeconds: String(policy.terminationWaitSeconds),
  Variant5xxAlarmName: LOCAL_ROLLBACK_ALARMS.errors,
  VariantLatencyAlarmName: LOCAL_ROLLBACK_ALARMS.latency,
});

export interface RetrainService {
  /**
   * Runs the state machine once, after any run in progress. `policy` overrides this run only;
   * `substitutions` overrides raw definition values (e.g. a hyperparameter) for this run only.
   */
  run(
    policy?: Partial<RetrainPolicy>,
    substitutions?: Record<string, string>,
  ): Promise<ExecutionRecord>;
  /**
   * After a restart, before any run: records runs the previous process left RUNNING as
   * INTERRUPTED and rolls the endpoint back to the serving card's config if it serves another.
   */
  recover(): Promise<RecoveryReport>;
  idle(): Promise<void>;
  /** The state the run in progress is in, and since when (epoch ms); undefined when idle. */
  current(): { runId: string; state: string; since: number } | undefined;
}

export interface RecoveryReport {
  interrupted: InterruptedRun[];
  endpoint: EndpointRepair;
  /** A canary a dead run left in the serving pointer, rolled back to that run's backup. */
  canary?: LeftoverCanary;
}

const invoke = (fn: (event: unknown, context: never) => Promise<unknown>) => (payload: unknown) =>
  fn(payload, {} as never);

export const createRetrainService = (options: RetrainServiceOptions): RetrainService => {
  const { store, log } = options;
  const now = options.now ?? Date.now;
  const queue = new SerialQueue();
  const storeOf = options.storeOf ?? (() => store);
  const endpointOf = options.endpointOf ?? (() => options.endpoint);
  const championCard = (caller: LocalCaller) =>
    options.storeOf ? cachedModelCard(storeOf(caller), 0) : options.modelCard;
  // As on AWS (createChampionDeps): an engine champion is scored in process from its artifact.
  const championEndpoint = (caller: LocalCaller) =>
    servingEndpoint(endpointOf(caller), new InProcessEngine(storeOf(caller)), championCard(caller));
  const lambdas = {
    PrepareDeepArFunctionArn: invoke(
      makePrepareHandler({ store: storeOf('prepare-deepar') }) as never,
    ),
    CheckDriftFunctionArn: invoke(
      makeCheckDriftHandler({
        store: storeOf('check-drift'),
        endpoint: championEndpoint('check-drift'),
        servingPointer: () => readServingPointer(storeOf('check-drift')),
        now,
      }) as never,
    ),
    EvaluateFunctionArn: invoke(
      makeEvaluateHandler({
        store: storeOf('evaluate'),
        endpoint: championEndpoint('evaluate'),
        modelCard: championCard('evaluate'),
        now,
      }) as never,
    ),
    ScoreABFunctionArn: invoke(
      makeScoreABHandler({
        store: storeOf('score-ab'),
        endpoint: championEndpoint('score-ab'),
        modelCard: championCard('score-ab'),
      }) as never,
    ),
    // The engine's Lambda: its training runs in a process of its own (train-cli), as a Lambda
    // runs in its own sandbox, so the runtime keeps serving while it trains.
    TrainEngineFunctionArn: invoke(
      makeTrainEngineHandler({
        store: storeOf('train-engine'),
        bucket: options.bucket,
        scratchDir: tmpdir(),
        train: ({ root, seed, log: trainerLog }) =>
          runTrainingContainer({ root, seed: seed ?? 0, log: trainerLog ?? (() => undefined) }),
      }) as never,
    ),
    RecordRunFunctionArn: invoke(
      makeRecordRunHandler({ store: storeOf('record-run'), now }) as never,
    ),
    CheckCanaryFunctionArn: invoke(
      makeCheckCanaryHandler({ store: storeOf('check-canary'), now }) as never,
    ),
  };
  const cloudwatch = options.cloudwatch ?? localCanaryCloudWatch(now);

  // SNS: the topic's deliveries are the twin's to keep (notifications/<run>.json).
  const notify = (runId: string) => async (message: Notification) => {
    log(`notification: ${message.Subject ?? ''} — ${message.Message}`);
    await store.put(
      `notifications/${runId}.json`,
      `${JSON.stringify(message, null, 2)}\n`,
      'application/json',
    );
  };

  const controlPlane = (substitutions: Record<string, string>) =>
    options.iam
      ? authorizedControlPlane(options.sagemaker, options.iam, substitutions)
      : options.sagemaker;

  const executions = (running?: string) => executionStates(store, (id) => id === running);

  const recoverOnce = async (): Promise<RecoveryReport> => {
    const interrupted = await recordInterruptedRuns(store, now);
    for (const run of interrupted) {
      log(`retrain ${run.runId}: recorded as interrupted (reached ${run.reached ?? 'no state'})`);
    }
    // No run is under way on start: a canary in the pointer was left by a run that died mid-bake.
    const canary = await rollBackLeftoverCanary({
      // Read as the endpoint's reconciliation reads the card; copied back as the machine's role.
      pointer: readServingPointer(store),
      objects: pointerObjects(storeOf('retrain-state-machine'), options.bucket),
      bucket: options.bucket,
      record: (leftover) => recordLeftoverCanary(leftover, { store: storeOf('record-run'), now }),
    });
    if (canary) {
      log(
        `retrain ${canary.runId}: its canary ${canary.version} was left in the serving pointer; rolled back to the run's backup`,
      );
      options.modelCard.invalidate();
    }
    const endpoint = await reconcileEndpoint({
      // As the state machine's role: the same IAM-checked calls its deploy states make.
      sagemaker: controlPlane(localSubstitutions(options, options.policy)),
      endpointName: options.endpointName,
      card: await servingCard(store),
      pollMs: options.endpointPollMs,
    });
    if (endpoint.kind === 'rollback') {
      log(
        `endpoint ${options.endpointName}: rolled back from ${endpoint.from}, which no serving card names, to ${endpoint.to}`,
      );
      options.modelCard.invalidate();
    } else if (endpoint.kind === 'unregistered') {
      log(
        `endpoint ${options.endpointName}: serves ${endpoint.config} and no model is registered as serving; the next promotion replaces it`,
      );
    }
    return { interrupted, endpoint, ...(canary ? { canary } : {}) };
  };

  const readSummary = async (runId: string): Promise<RunSummary | undefined> => {
    const bytes = await store.get(runSummaryKey(runId));
    return bytes ? RunSummary.parse(JSON.parse(decodeText(bytes))) : undefined;
  };

  let current: { runId: string; state: string; since: number } | undefined;
  const runOnce = async (
    overrides: Partial<RetrainPolicy> = {},
    extra: Record<string, string> = {},
  ): Promise<ExecutionRecord> => {
    await options.beforeRun();
    const policy = { ...options.policy, ...overrides };
    const runId = newRunId(now(), randomBytes(3).toString('hex'));
    const record: ExecutionRecord = {
      runId,
      startedAt: new Date(now()).toISOString(),
      status: 'RUNNING',
      states: [],
    };
    await saveExecution(store, record);
    await recordRunStart(store, record);
    log(`retrain ${runId}: started`);
    record.stateSeconds = {};
    const leaveState = () => {
      if (!current || !record.stateSeconds) return;
      const seconds = (now() - current.since) / 1000;
      record.stateSeconds[current.state] =
        Math.round(((record.stateSeconds[current.state] ?? 0) + seconds) * 1000) / 1000;
      current = undefined;
    };
    // Each state entered is saved as it happens: a run killed mid-way says where it stopped.
    let progress: Promise<void> = Promise.resolve();
    try {
      const substitutions = { ...localSubstitutions(options, policy), ...extra };
      await runRetrain({
        executionName: runId,
        substitutions,
        services: {
          runEtl: ({ runId: id }) =>
            runEtl({ runId: id }, { store: storeOf('glue-etl'), now, log }),
          lambdas,
          sagemaker: controlPlane(substitutions),
          notify: options.iam
            ? authorizedNotify(notify(runId), options.iam, substitutions)
            : notify(runId),
          // The state machine's own calls on the serving pointer and the canary's alarm.
          s3: pointerObjects(storeOf('retrain-state-machine'), options.bucket),
          cloudwatch: options.iam
            ? authorizedAlarms(cloudwatch, options.iam, substitutions)
            : cloudwatch,
          // Step Functions' own records of its executions: this run is the one running now.
          stepFunctions: options.iam
            ? authorizedExecutions(executions(runId), options.iam, substitutions)
            : executions(runId),
        },
        endpointPollMs: options.endpointPollMs,
        canaryPollMs: options.canaryPollMs,
        retryIntervalMs: 100,
        now,
        onStateEvent: (event) => {
          if (event.type === 'StateEntered' && event.state) {
            leaveState();
            current = { runId, state: event.state, since: now() };
            record.states.push(event.state);
            record.stateEnteredAt = [
              ...(record.stateEnteredAt ?? []),
              new Date(current.since).toISOString(),
            ];
            const snapshot = { ...record, states: [...record.states] };
            progress = progress
              .then(() => saveExecution(store, snapshot))
              .catch((error: unknown) => log(`retrain ${runId}: progress not saved: ${error}`));
            log(`retrain ${runId}: ${event.state}`);
          }
        },
      });
      record.status = 'SUCCEEDED';
    } catch (error) {
      // aws-local-stepfunctions wraps the Fail state's (or uncaught) error as its cause.
      const e = error as Error & { cause?: unknown };
      const failure = e.cause instanceof Error ? e.cause : e;
      Object.assign(record, { status: 'FAILED', error: failure.name, cause: failure.message });
    }
    leaveState();
    await progress;
    // The decision (skipped/promoted/rejected/rolled back/failed) is the record step's to tell.
    const summary = await readSummary(runId).catch(() => undefined);
    if (summary)
      Object.assign(record, {
        outcome: summary.outcome,
        reasons: summary.reasons,
        version: summary.version,
      });
    else {
      // No record step ran (an uncaught error): runs/ must not keep saying RUNNING.
      const reason = record.cause ?? 'the run ended without recording its outcome';
      Object.assign(record, {
        outcome: 'failed',
        reasons: [reason],
        finishedAt: new Date(now()).toISOString(),
      });
      await recordRunEnd(store, record, reason);
    }
    // Any decision may have changed the serving card (promotion, A/B start, round or end).
    options.modelCard.invalidate();
    record.finishedAt = new Date(now()).toISOString();
    await saveExecution(store, record);
    log(
      `retrain ${runId}: ${record.outcome ?? record.status}${record.version ? ` (model ${record.version})` : ''} — ${(record.reasons ?? [record.cause ?? '']).join('; ')}`,
    );
    return record;
  };

  return {
    run: (policy, substitutions) => queue.run(() => runOnce(policy, substitutions)),
    recover: () => queue.run(recoverOnce),
    idle: () => queue.idle(),
    current: () => current,
  };
};
