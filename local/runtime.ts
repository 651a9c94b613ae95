// The local runtime: the whole pipeline on one machine, each AWS service replaced by a stand-in
// that keeps its contract. Composition only — every step's logic lives in its own module.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { buildDashboard } from '../dashboard/build.js';
import { makeHandler as makeAccuracyHandler } from '../functions/accuracy/handler.js';
import { InProcessEngine } from '../functions/common/adapters/in-process-engine.js';
import { loadConfig } from '../functions/common/config.js';
import { createContextReader } from '../functions/common/context-reader.js';
import { createModelEndpoint, createObjectStore } from '../functions/common/deps.js';
import { cachedModelCard } from '../functions/common/model-card-source.js';
import { servedScoring } from '../functions/common/served-scoring.js';
import { makeHandler as makeDevicesHandler } from '../functions/devices/handler.js';
import { makeHandler as makeForecastHandler } from '../functions/forecast/handler.js';
import { createServedSampler } from '../functions/forecast/served-sampler.js';
import { makeHandler as makeModelsHandler } from '../functions/models/handler.js';
import { makeHandler as makeRunsHandler } from '../functions/runs/handler.js';
import { updateContext } from '../functions/update-context/update-context.js';
import { type ApiServer, startApiServer } from './api-server.js';
import { startBroker } from './broker.js';
import { ContextBacklog } from './context-backlog.js';
import type { ExecutionRecord } from './execution-record.js';
import { invokeEndpointAuthorizer } from './iam/authorized-invocations.js';
import type { LocalCaller } from './iam/callers.js';
import { LocalIam } from './iam/local-iam.js';
import { loadTemplate } from './iam/template.js';
import { openJournalIngest } from './journal-ingest.js';
import { startObjectStoreServer } from './object-store-server.js';
import {
  createRetrainService,
  DEFAULT_POLICY,
  LOCAL_ROLLBACK_ALARMS,
  localCanaryCloudWatch,
  type RetrainPolicy,
} from './retrain-service.js';
import { LocalSageMaker } from './sagemaker/control-plane/local-sagemaker.js';
import { contextQueueParams } from './stage-params.js';
import { makeStatusHandler, type RuntimeCounters } from './status.js';

export interface RuntimeSettings {
  host: string;
  port: number;
  mqttPort: number;
  dataDir: string;
  apiKey: string;
  bucket: string;
  endpointName: string;
  predictionLength: number;
  contextLength: number;
  contextHours: number;
  /** The hot path's page and history shards (serverless.yml's contextShards, contextHistoryShards). */
  contextShards: number;
  contextHistoryShards: number;
  historyDays: number;
  /** Retrain this often after the first run; 0 = only when asked. */
  retrainIntervalMs: number;
  /** Retraining policy and deployment strategy; defaults to DEFAULT_POLICY. */
  policy?: Partial<RetrainPolicy>;
  /** The broker's message size limit (default IoT Core's 128 KiB). */
  maxMessageBytes?: number;
  /** Firehose buffering hints. */
  bufferBytes: number;
  bufferIntervalMs: number;
  /** Browser origins allowed to call the API ('*' or exact origins); none by default. */
  corsOrigins?: string[];
  log: (message: string) => void;
  /**
   * IAM as the local S3 enforces it: every caller signs as its role in this (by default the
   * repository's serverless.yml, dev stage). Tests hand in a changed template.
   */
  iam?: LocalIam;
  /**
   * The runtime's clock (epoch ms): ingestion, the hot path and its scoring, the forecast API and
   * its sampler, the history APIs and the retrain runs (their ids, $$.Execution.StartTime and so
   * the model's version, the state times, the drift check's model age) read it. Default: the
   * system clock; a test hands in one it can run forward.
   */
  now?: () => number;
  /**
   * Draws which A/B variant answers a request, in the forecast function and the endpoint.
   * Default Math.random; a test hands in a seeded generator to replay the same traffic split.
   */
  random?: () => number;
}

export interface LocalRuntime {
  apiUrl: string;
  /** The dashboard, with the API key in the fragment (never sent to the server). */
  dashboardUrl: string;
  mqttUrl: string;
  s3Url: string;
  apiKey: string;
  /** Delivers buffered records, then waits until S3-triggered work is done. */
  drain(): Promise<void>;
  /**
   * Runs the retrain state machine once (serialised with scheduled runs); `policy` overrides this
   * run, `substitutions` raw definition values (e.g. a hyperparameter) of this run.
   */
  retrain(
    policy?: Partial<RetrainPolicy>,
    substitutions?: Record<string, string>,
  ): Promise<ExecutionRecord>;
  /** Starts the schedule: runs now, then every retrainIntervalMs. */
  startSchedule(): void;
  counters: RuntimeCounters;
  /** What the long phases are doing now, for progress lines. */
  progress(): RuntimeProgress;
  /**
   * Stops everything. `prompt`: does not wait for a retrain in progress (it runs again at the
   * next start) nor for queued context updates (saved, and processed at the next start); what
   * the journal holds undelivered is replayed at the next start either way.
   */
  close(options?: { prompt?: boolean }): Promise<void>;
}

export interface RuntimeProgress {
  received: number;
  stored: number;
  errors: number;
  contextPending: number;
  contextDone: number;
  retrain?: { runId: string; state: string; seconds: number };
}

export const generateApiKey = (): string => randomBytes(24).toString('base64url');

const closeAll = async (closers: Array<() => Promise<void>>) => {
  for (const close of closers.reverse()) {
    await close().catch(() => undefined);
  }
};

export const startLocalRuntime = async (settings: RuntimeSettings): Promise<LocalRuntime> => {
  const { log } = settings;
  const closers: Array<() => Promise<void>> = [];
  const now = settings.now ?? Date.now;
  let prompt = false;
  const devices = new Set<string>();
  // Refusals at the protocol and publishes no rule selects: counted per process (sampled to errors/).
  let counters: RuntimeCounters;

  try {
    // S3: the lake bucket, its object-created events feeding update-context.
    // Every request a caller signs with its role's key is authorised against that role.
    const iam = settings.iam ?? new LocalIam(loadTemplate());
    let onRawCreated: (event: S3Event) => void = () => undefined;
    const s3 = await startObjectStoreServer({
      directory: join(settings.dataDir, 's3'),
      bucket: settings.bucket,
      onObjectCreated: (event) => onRawCreated(event),
      iam,
    });
    closers.push(() => s3.close());
    closers.push(async () => {
      if (!prompt) return backlog.idle();
      const saved = await backlog.suspend();
      if (saved > 0) log(`update-context: ${saved} delivery event(s) saved for the next start`);
    });
    // The functions' configuration, as their environment would carry it (the same validation).
    const lambdaEnv = {
      SMOGCAST_RUNTIME: 'local',
      AWS_REGION: 'us-east-1',
      LAKE_BUCKET: settings.bucket,
      ENDPOINT_NAME: settings.endpointName,
      PREDICTION_LENGTH: String(settings.predictionLength),
      CONTEXT_HOURS: String(settings.contextHours),
      CONTEXT_SHARDS: String(settings.contextShards),
      CONTEXT_HISTORY_SHARDS: String(settings.contextHistoryShards),
      CORS_ALLOW_ORIGINS: (settings.corsOrigins ?? []).join(','),
      // A local fleet is small: every served forecast is sampled for realised accuracy.
      ACCURACY_SAMPLE_PERIOD_HOURS: '1',
      S3_ENDPOINT: s3.url,
    };
    // The twin's own view of the lake (execution records, notifications, the SageMaker state),
    // and each caller's, signed as its role.
    const lambdaConfig = loadConfig(lambdaEnv);
    const store = createObjectStore(lambdaConfig);
    const stores = new Map<LocalCaller, ReturnType<typeof createObjectStore>>();
    const storeOf = (caller: LocalCaller) => {
      let own = stores.get(caller);
      if (!own) {
        own = createObjectStore(loadConfig(lambdaEnv), iam.credentialsOf(caller));
        stores.set(caller, own);
      }
      return own;
    };
    const backlog = new ContextBacklog({
      file: join(settings.dataDir, 'context-backlog.json'),
      work: (records) =>
        updateContext(
          { Records: records },
          {
            store: storeOf('update-context'),
            layout: lambdaConfig.context,
            now,
            afterHourRollup: servedScoring(storeOf('update-context'), lambdaConfig, now),
          },
        ),
      onError: (error) => log(`update-context failed: ${String(error)}`),
      // As the SQS event source hands update-context up to this many deliveries at once.
      batchSize: contextQueueParams().contextBatchSize,
    });
    onRawCreated = (event) => {
      const raw = event.Records.filter((r) =>
        decodeURIComponent(r.s3.object.key).startsWith('raw/'),
      );
      if (raw.length > 0) backlog.add(raw);
    };
    const replayedContext = backlog.replay();
    if (replayedContext > 0)
      log(`update-context: ${replayedContext} saved delivery event(s) to process`);

    // SageMaker: control plane + the runtime endpoint (InvokeEndpoint).
    const sagemaker = await LocalSageMaker.open({
      store: storeOf('sagemaker'),
      workDir: join(settings.dataDir, 'sagemaker'),
      log,
      // The CloudWatch alarms the deployment's AutoRollbackConfiguration names, on the new fleet.
      alarms: {
        [LOCAL_ROLLBACK_ALARMS.errors]: { metric: 'Invocation5XXErrors', threshold: 0 },
        [LOCAL_ROLLBACK_ALARMS.latency]: { metric: 'ModelLatency', threshold: 2_000_000 },
      },
      // A SageMaker minute of baking lasts a second here.
      timeScale: 1 / 60,
      random: settings.random,
    });
    // InvokeEndpoint is authorised as the signing caller's role (forecast, check-drift, score-ab).
    const runtimeServer = await sagemaker.startRuntimeServer({
      port: 0,
      authorize: invokeEndpointAuthorizer(iam, settings.endpointName),
    });
    closers.push(() => runtimeServer.close());

    // Topic rule → write-ahead journal → Firehose: raw/ for every message the rule can
    // evaluate (the ETL and update-context quarantine bad readings). What a crash left in the journal is delivered again now.
    const ingest = await openJournalIngest({
      store: storeOf('firehose'),
      journalDir: join(settings.dataDir, 'journal'),
      bufferBytes: settings.bufferBytes,
      bufferIntervalMs: settings.bufferIntervalMs,
      now,
      onDeliveryError: (error) => log(`firehose delivery failed, will retry: ${String(error)}`),
      onOutcome: (_topic, outcome) => {
        if (outcome.kind === 'record' && outcome.deviceId) devices.add(outcome.deviceId);
      },
      onNotice: (notice) => {
        if (notice.kind === 'refused') {
          log(`mqtt: refused ${notice.clientId ?? '(no client id)'}: ${notice.reason}`);
        }
      },
    });
    // The record counters live with the journal: durable, and true across restarts and replays.
    counters = {
      get received() {
        return ingest.counts().received;
      },
      get stored() {
        return ingest.counts().stored;
      },
      get errors() {
        return ingest.counts().errors;
      },
      get refused() {
        return ingest.counts().refused;
      },
      get unmatched() {
        return ingest.counts().unmatched;
      },
      get unparsed() {
        return ingest.counts().unparsed;
      },
      devices,
    };
    if (ingest.replayed > 0) log(`journal: replaying ${ingest.replayed} undelivered record(s)`);
    closers.push(() => ingest.close());

    // Refusal samples being journaled (the refused client gets no acknowledgement to wait on).
    const pendingNotices = new Set<Promise<void>>();
    // IoT Core: the broker and its topic rule (PUBACK once the rule's output is journaled).
    const broker = await startBroker({
      host: settings.host,
      port: settings.mqttPort,
      onPublish: ingest.accept,
      onHookError: (error) => log(`journal append failed, publish not acknowledged: ${error}`),
      ...(settings.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: settings.maxMessageBytes }),
      // Disconnected as IoT Core does; counted, and sampled into errors/.
      onRefused: (refusal) => {
        const pending: Promise<void> = ingest
          .notice({ kind: 'refused', ...refusal })
          .catch((error: unknown) =>
            log(`journal append of a refusal sample failed: ${String(error)}`),
          )
          .finally(() => pendingNotices.delete(pending));
        pendingNotices.add(pending);
      },
    });
    closers.push(() => broker.close());

    // The Lambda handlers, wired to the local stand-ins.
    const config = loadConfig({ ...lambdaEnv, SAGEMAKER_RUNTIME_ENDPOINT: runtimeServer.url });
    const modelCard = cachedModelCard(storeOf('forecast'), 30_000, now);
    const modelEndpoint = createModelEndpoint(config, iam.credentialsOf('forecast'));
    const endpointOf = (caller: LocalCaller) =>
      createModelEndpoint(config, iam.credentialsOf(caller));
    const { cors } = config;
    const servedSampler = createServedSampler({
      store: storeOf('forecast'),
      now,
      periodHours: config.accuracySamplePeriodHours,
      writerId: 'local',
      onError: (error) => log(`served-forecast samples not written: ${String(error)}`),
    });
    // CloudWatch's stand-in: the forecast function's metrics and the engine canary's alarm.
    const cloudwatch = localCanaryCloudWatch(now);
    const forecastHandler = makeForecastHandler(
      {
        contexts: createContextReader(storeOf('forecast'), config.context, { now }),
        endpoint: modelEndpoint,
        engine: new InProcessEngine(storeOf('forecast')),
        predictionLength: settings.predictionLength,
        modelCard,
        now,
        metrics: cloudwatch.forecastMetrics(config.endpointName),
        random: settings.random,
      },
      { cors, sampler: servedSampler },
    );
    const devicesHandler = makeDevicesHandler(
      {
        contexts: createContextReader(storeOf('devices'), config.context, { now, ttlMs: 1_000 }),
        contextHours: settings.contextHours,
        now,
        fleetTtlMs: 1_000,
      },
      { cors },
    );
    // EventBridge + Step Functions: the retrain state machine, one execution at a time.
    const retrainService = createRetrainService({
      store,
      storeOf,
      iam,
      sagemaker,
      endpoint: modelEndpoint,
      endpointOf,
      modelCard,
      bucket: settings.bucket,
      endpointName: settings.endpointName,
      predictionLength: settings.predictionLength,
      contextLength: settings.contextLength,
      historyDays: settings.historyDays,
      policy: { ...DEFAULT_POLICY, ...settings.policy },
      beforeRun: () => drain(),
      endpointPollMs: 250,
      // An engine canary bakes bakeSeconds of the runtime's clock: 1440 polls of 1 s outlast the
      // default stage's 600 s.
      canaryPollMs: 1_000,
      log,
      cloudwatch,
      now,
    });
    // What a previous process left half-done (a run, a deployment) is settled before any run.
    void retrainService
      .recover()
      .catch((error: unknown) => log(`recovery after restart failed: ${String(error)}`));
    const retrain = (policy?: Partial<RetrainPolicy>, substitutions?: Record<string, string>) =>
      retrainService.run(policy, substitutions);

    const drain = async () => {
      await Promise.all(pendingNotices);
      await ingest.flush();
      await backlog.idle();
      await servedSampler.flush();
    };

    // API Gateway: GET /forecast, /devices, /status (the Lambda handlers); the dashboard at /.
    const statusHandler = makeStatusHandler({
      store: storeOf('status'),
      contexts: createContextReader(storeOf('status'), config.context, { now, ttlMs: 1_000 }),
      counters,
      sagemaker,
      endpointName: settings.endpointName,
      cors,
    });
    const dashboard = await buildDashboard();
    const api: ApiServer = await startApiServer({
      host: settings.host,
      port: settings.port,
      apiKey: settings.apiKey,
      routes: {
        '/forecast': { handler: forecastHandler, requiresKey: true },
        '/devices': { handler: devicesHandler, requiresKey: true },
        '/status': { handler: statusHandler, requiresKey: true },
        '/accuracy': {
          handler: makeAccuracyHandler(
            { store: storeOf('accuracy'), now, periodHours: config.accuracySamplePeriodHours },
            { cors },
          ),
          requiresKey: true,
        },
        '/runs': {
          handler: makeRunsHandler({ store: storeOf('runs'), now }, { cors }),
          requiresKey: true,
        },
        '/models': {
          handler: makeModelsHandler({ store: storeOf('models'), now }, { cors }),
          requiresKey: true,
        },
        '/health': {
          handler: async () => ({
            statusCode: 200,
            headers: {},
            body: JSON.stringify({ ok: true }),
          }),
          requiresKey: false,
        },
      },
      cors,
      staticFiles: (path) => dashboard.get(path),
      log,
    });
    closers.push(() => servedSampler.flush());
    closers.push(() => api.close());

    let timer: NodeJS.Timeout | undefined;
    closers.push(async () => clearInterval(timer));
    closers.push(() => (prompt ? Promise.resolve() : retrainService.idle()));

    return {
      apiUrl: api.url,
      dashboardUrl: `${api.url}/#key=${encodeURIComponent(settings.apiKey)}`,
      mqttUrl: broker.url,
      s3Url: s3.url,
      apiKey: settings.apiKey,
      counters,
      progress: () => {
        const run = retrainService.current();
        return {
          received: counters.received,
          stored: counters.stored,
          errors: counters.errors,
          contextPending: backlog.pending,
          contextDone: backlog.done,
          ...(run
            ? {
                retrain: {
                  runId: run.runId,
                  state: run.state,
                  seconds: (now() - run.since) / 1000,
                },
              }
            : {}),
        };
      },
      drain,
      retrain,
      startSchedule: () => {
        void retrain();
        if (settings.retrainIntervalMs > 0) {
          timer = setInterval(() => void retrain(), settings.retrainIntervalMs);
        }
      },
      close: (options) => {
        prompt = options?.prompt === true;
        return closeAll(closers);
      },
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
};
