// The local runtime: the whole pipeline on one machine, each AWS service replaced by a stand-in
// that keeps its contract. Composition only — every step's logic lives in its own module.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { buildDashboard } from '../dashboard/build.js';
import { loadConfig } from '../functions/common/config.js';
import { createModelEndpoint, createObjectStore } from '../functions/common/deps.js';
import { cachedModelCard } from '../functions/common/model-card-source.js';
import { makeHandler as makeDevicesHandler } from '../functions/devices/handler.js';
import { makeHandler as makeForecastHandler } from '../functions/forecast/handler.js';
import { updateContext } from '../functions/update-context/update-context.js';
import { type ApiServer, startApiServer } from './api-server.js';
import { startBroker } from './broker.js';
import type { ExecutionRecord } from './execution-record.js';
import type { LocalCaller } from './iam/callers.js';
import { LocalIam } from './iam/local-iam.js';
import { loadTemplate } from './iam/template.js';
import { openJournalIngest } from './journal-ingest.js';
import { startObjectStoreServer } from './object-store-server.js';
import {
  createRetrainService,
  DEFAULT_POLICY,
  LOCAL_ROLLBACK_ALARMS,
  type RetrainPolicy,
} from './retrain-service.js';
import { LocalSageMaker } from './sagemaker/control-plane/local-sagemaker.js';
import { SerialQueue } from './serial-queue.js';
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
  /** Runs the retrain state machine once (serialised with scheduled runs); `policy` overrides this run. */
  retrain(policy?: Partial<RetrainPolicy>): Promise<ExecutionRecord>;
  /** Starts the schedule: runs now, then every retrainIntervalMs. */
  startSchedule(): void;
  counters: RuntimeCounters;
  close(): Promise<void>;
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
  const counters: RuntimeCounters = {
    received: 0,
    stored: 0,
    errors: 0,
    refused: 0,
    unmatched: 0,
    devices: new Set(),
  };
  const contextQueue = new SerialQueue();
  const now = Date.now;

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
    closers.push(() => contextQueue.idle());
    // The functions' configuration, as their environment would carry it (the same validation).
    const lambdaEnv = {
      SMOGCAST_RUNTIME: 'local',
      AWS_REGION: 'us-east-1',
      LAKE_BUCKET: settings.bucket,
      ENDPOINT_NAME: settings.endpointName,
      PREDICTION_LENGTH: String(settings.predictionLength),
      CONTEXT_HOURS: String(settings.contextHours),
      CORS_ALLOW_ORIGINS: (settings.corsOrigins ?? []).join(','),
      S3_ENDPOINT: s3.url,
    };
    // The twin's own view of the lake (execution records, notifications, the SageMaker state),
    // and each caller's, signed as its role.
    const store = createObjectStore(loadConfig(lambdaEnv));
    const stores = new Map<LocalCaller, ReturnType<typeof createObjectStore>>();
    const storeOf = (caller: LocalCaller) => {
      let own = stores.get(caller);
      if (!own) {
        own = createObjectStore(loadConfig(lambdaEnv), iam.credentialsOf(caller));
        stores.set(caller, own);
      }
      return own;
    };
    onRawCreated = (event) => {
      const raw = event.Records.filter((r) =>
        decodeURIComponent(r.s3.object.key).startsWith('raw/'),
      );
      if (raw.length === 0) return;
      void contextQueue
        .run(() =>
          updateContext(
            { Records: raw },
            { store: storeOf('update-context'), contextHours: settings.contextHours, now },
          ),
        )
        .catch((error: unknown) => log(`update-context failed: ${String(error)}`));
    };

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
    });
    const runtimeServer = await sagemaker.startRuntimeServer({ port: 0 });
    closers.push(() => runtimeServer.close());

    // Topic rule → write-ahead journal → Firehose: raw/ for valid readings, errors/iot/ for
    // what the rule rejects. What a crash left in the journal is delivered again now.
    const ingest = await openJournalIngest({
      store: storeOf('firehose'),
      journalDir: join(settings.dataDir, 'journal'),
      bufferBytes: settings.bufferBytes,
      bufferIntervalMs: settings.bufferIntervalMs,
      now,
      onDeliveryError: (error) => log(`firehose delivery failed, will retry: ${String(error)}`),
      onOutcome: (_topic, outcome) => {
        counters.received += 1;
        if (outcome.kind === 'record') counters.devices.add(outcome.deviceId);
      },
      onStored: (stream, records) => {
        if (stream === 'raw') counters.stored += records;
        else counters.errors += records;
      },
      onNotice: (notice) => {
        counters[notice.kind] += 1;
        if (notice.kind === 'refused') {
          log(`mqtt: refused ${notice.clientId ?? '(no client id)'}: ${notice.reason}`);
        }
      },
    });
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
    const modelCard = cachedModelCard(storeOf('forecast'), 30_000);
    const modelEndpoint = createModelEndpoint(config);
    const { cors } = config;
    const forecastHandler = makeForecastHandler(
      {
        store: storeOf('forecast'),
        endpoint: modelEndpoint,
        predictionLength: settings.predictionLength,
        modelCard,
        now,
      },
      { cors },
    );
    const devicesHandler = makeDevicesHandler(
      { store: storeOf('devices'), contextHours: settings.contextHours, now, fleetTtlMs: 1_000 },
      { cors },
    );
    // EventBridge + Step Functions: the retrain state machine, one execution at a time.
    const retrainService = createRetrainService({
      store,
      storeOf,
      iam,
      sagemaker,
      endpoint: modelEndpoint,
      modelCard,
      bucket: settings.bucket,
      endpointName: settings.endpointName,
      predictionLength: settings.predictionLength,
      contextLength: settings.contextLength,
      historyDays: settings.historyDays,
      policy: { ...DEFAULT_POLICY, ...settings.policy },
      beforeRun: () => drain(),
      endpointPollMs: 250,
      log,
    });
    const retrain = (policy?: Partial<RetrainPolicy>) => retrainService.run(policy);

    const drain = async () => {
      await Promise.all(pendingNotices);
      await ingest.flush();
      await contextQueue.idle();
    };

    // API Gateway: GET /forecast, /devices, /status (the Lambda handlers); the dashboard at /.
    const statusHandler = makeStatusHandler({
      store: storeOf('status'),
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
    closers.push(() => api.close());

    let timer: NodeJS.Timeout | undefined;
    closers.push(async () => clearInterval(timer));
    closers.push(() => retrainService.idle());

    return {
      apiUrl: api.url,
      dashboardUrl: `${api.url}/#key=${encodeURIComponent(settings.apiKey)}`,
      mqttUrl: broker.url,
      s3Url: s3.url,
      apiKey: settings.apiKey,
      counters,
      drain,
      retrain,
      startSchedule: () => {
        void retrain();
        if (settings.retrainIntervalMs > 0) {
          timer = setInterval(() => void retrain(), settings.retrainIntervalMs);
        }
      },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
};
