// The local runtime: the whole pipeline on one machine, each AWS service replaced by a stand-in
// that keeps its contract. Composition only — every step's logic lives in its own module.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { S3Event } from 'aws-lambda';
import { createS3Client, S3ObjectStore } from '../functions/common/adapters/s3-object-store.js';
import { SageMakerEndpoint } from '../functions/common/adapters/sagemaker-endpoint.js';
import { LOCAL_S3_CREDENTIALS } from '../functions/common/config.js';
import { cachedModelCard } from '../functions/common/model-card-source.js';
import { runEtl } from '../functions/etl/etl.js';
import { makeHandler as makeForecastHandler } from '../functions/forecast/handler.js';
import { makeHandler as makePrepareHandler } from '../functions/prepare-deepar/handler.js';
import { makeHandler as makeRecordHandler } from '../functions/record-deployment/handler.js';
import { updateContext } from '../functions/update-context/update-context.js';
import { type ApiServer, startApiServer } from './api-server.js';
import { startBroker } from './broker.js';
import { openJournalIngest } from './journal-ingest.js';
import { startObjectStoreServer } from './object-store-server.js';
import { runRetrain } from './retrain-runner.js';
import { latestRun, newRunId, type RunRecord, saveRun } from './run-record.js';
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
  /** Firehose buffering hints. */
  bufferBytes: number;
  bufferIntervalMs: number;
  log: (message: string) => void;
}

export interface LocalRuntime {
  apiUrl: string;
  mqttUrl: string;
  s3Url: string;
  apiKey: string;
  /** Delivers buffered records, then waits until S3-triggered work is done. */
  drain(): Promise<void>;
  /** Runs the retrain state machine once (serialised with scheduled runs). */
  retrain(): Promise<RunRecord>;
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
  const counters: RuntimeCounters = { received: 0, stored: 0, errors: 0, devices: new Set() };
  const contextQueue = new SerialQueue();
  const now = Date.now;

  try {
    // S3: the lake bucket, its object-created events feeding update-context.
    let onRawCreated: (event: S3Event) => void = () => undefined;
    const s3 = await startObjectStoreServer({
      directory: join(settings.dataDir, 's3'),
      bucket: settings.bucket,
      onObjectCreated: (event) => onRawCreated(event),
    });
    closers.push(() => s3.close());
    closers.push(() => contextQueue.idle());
    const store = new S3ObjectStore(
      createS3Client({ region: 'us-east-1', endpoint: s3.url, credentials: LOCAL_S3_CREDENTIALS }),
      settings.bucket,
    );
    onRawCreated = (event) => {
      const raw = event.Records.filter((r) =>
        decodeURIComponent(r.s3.object.key).startsWith('raw/'),
      );
      if (raw.length === 0) return;
      void contextQueue
        .run(() =>
          updateContext({ Records: raw }, { store, contextHours: settings.contextHours, now }),
        )
        .catch((error: unknown) => log(`update-context failed: ${String(error)}`));
    };

    // SageMaker: control plane + the runtime endpoint (InvokeEndpoint).
    const sagemaker = await LocalSageMaker.open({
      store,
      workDir: join(settings.dataDir, 'sagemaker'),
      log,
    });
    const runtimeServer = await sagemaker.startRuntimeServer({ port: 0 });
    closers.push(() => runtimeServer.close());

    // Topic rule → write-ahead journal → Firehose: raw/ for valid readings, errors/iot/ for
    // what the rule rejects. What a crash left in the journal is delivered again now.
    const ingest = await openJournalIngest({
      store,
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
    });
    if (ingest.replayed > 0) log(`journal: replaying ${ingest.replayed} undelivered record(s)`);
    closers.push(() => ingest.close());

    // IoT Core: the broker and its topic rule (PUBACK once the rule's output is journaled).
    const broker = await startBroker({
      host: settings.host,
      port: settings.mqttPort,
      onPublish: ingest.accept,
      onHookError: (error) => log(`journal append failed, publish not acknowledged: ${error}`),
    });
    closers.push(() => broker.close());

    // The Lambda handlers, wired to the local stand-ins.
    const modelCard = cachedModelCard(store, 30_000);
    const forecastHandler = makeForecastHandler({
      store,
      endpoint: new SageMakerEndpoint({
        region: 'us-east-1',
        endpointName: settings.endpointName,
        url: runtimeServer.url,
        credentials: LOCAL_S3_CREDENTIALS,
      }),
      predictionLength: settings.predictionLength,
      modelCard,
      now,
    });
    const prepareHandler = makePrepareHandler({ store });
    const recordHandler = makeRecordHandler({ store, now });

    // Step Functions: the retrain state machine, one execution at a time.
    const retrainQueue = new SerialQueue();
    const substitutions: Record<string, string> = {
      LakeBucket: settings.bucket,
      EndpointName: settings.endpointName,
      PredictionLength: String(settings.predictionLength),
      ContextLength: String(settings.contextLength),
      Epochs: '1',
      Likelihood: 'student-T',
      HistoryDays: String(settings.historyDays),
      GlueJobName: 'smogcast-etl-local',
      PrepareDeepArFunctionArn:
        'arn:aws:lambda:us-east-1:000000000000:function:smogcast-local-prepare-deepar',
      RecordDeploymentFunctionArn:
        'arn:aws:lambda:us-east-1:000000000000:function:smogcast-local-record-deployment',
      DeepArImage: 'local/smogcast-forecaster:latest',
      SageMakerRoleArn: 'arn:aws:iam::000000000000:role/smogcast-local-sagemaker',
      TrainingInstanceType: 'local',
      EndpointInstanceType: 'local',
    };
    const invoke =
      (fn: (event: unknown, context: never) => Promise<unknown>) => (payload: unknown) =>
        fn(payload, {} as never);
    const retrainOnce = async (): Promise<RunRecord> => {
      await drain();
      const runId = newRunId(now(), randomBytes(3).toString('hex'));
      const run: RunRecord = {
        runId,
        startedAt: new Date().toISOString(),
        status: 'RUNNING',
        states: [],
      };
      await saveRun(store, run);
      log(`retrain ${runId}: started`);
      try {
        const output = await runRetrain({
          executionName: runId,
          substitutions,
          services: {
            runEtl: ({ runId: id }) => runEtl({ runId: id }, { store, now, log }),
            lambdas: {
              PrepareDeepArFunctionArn: invoke(prepareHandler as never),
              RecordDeploymentFunctionArn: invoke(recordHandler as never),
            },
            sagemaker,
          },
          endpointPollMs: 250,
          onStateEvent: (event) => {
            if (event.type === 'StateEntered' && event.state) {
              run.states.push(event.state);
              log(`retrain ${runId}: ${event.state}`);
            }
          },
        });
        const deployed = output.deployed as { version?: string } | undefined;
        Object.assign(run, { status: 'SUCCEEDED', version: deployed?.version });
        modelCard.invalidate();
        log(`retrain ${runId}: deployed model ${deployed?.version}`);
      } catch (error) {
        const e = error as Error & { cause?: unknown };
        Object.assign(run, { status: 'FAILED', error: e.name, cause: e.message });
        log(`retrain ${runId}: FAILED ${e.name}: ${e.message}`);
      }
      run.finishedAt = new Date().toISOString();
      await saveRun(store, run);
      return run;
    };
    const retrain = () => retrainQueue.run(retrainOnce);

    const drain = async () => {
      await ingest.flush();
      await contextQueue.idle();
    };

    // API Gateway: GET /forecast (the Lambda handler), GET /status.
    const statusHandler = makeStatusHandler({
      store,
      counters,
      modelCard,
      latestRun,
      sagemaker,
      endpointName: settings.endpointName,
    });
    const api: ApiServer = await startApiServer({
      host: settings.host,
      port: settings.port,
      apiKey: settings.apiKey,
      routes: {
        '/forecast': { handler: forecastHandler, requiresKey: true },
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
      log,
    });
    closers.push(() => api.close());

    let timer: NodeJS.Timeout | undefined;
    closers.push(async () => clearInterval(timer));
    closers.push(() => retrainQueue.idle());

    return {
      apiUrl: api.url,
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
