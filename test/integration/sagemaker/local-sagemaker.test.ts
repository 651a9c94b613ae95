import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeepArResponse } from '../../../core/ports.js';
import { MemoryObjectStore } from '../../../functions/common/adapters/memory-object-store.js';
import { LocalSageMaker } from '../../../local/sagemaker/local-sagemaker.js';
import { HYPERPARAMETERS, syntheticSeries, toJsonLines } from '../../unit/forecasting/synthetic.js';
import { teardown } from '../teardown.js';

const BUCKET = 'smogcast-lake';
const ENDPOINT = 'smogcast';
const ROLE = 'arn:aws:iam::000000000000:role/smogcast-local-sagemaker';

/** Writes a retrain run's DeepAR channels into the lake, as prepare-deepar does. */
const writeChannels = async (store: MemoryObjectStore, version: string, seed: number) => {
  const lines = syntheticSeries({ seed });
  const train = lines.map((line) => ({ ...line, target: line.target.slice(0, -24) }));
  await store.put(`deepar/${version}/train/series.json`, toJsonLines(train));
  await store.put(`deepar/${version}/test/series.json`, toJsonLines(lines));
};

/** The Train state's Parameters after the state machine resolved its paths. */
const trainingRequest = (
  version: string,
  hyperParameters: Record<string, string> = HYPERPARAMETERS,
) => ({
  TrainingJobName: `smogcast-${version}`,
  AlgorithmSpecification: { TrainingImage: 'local/deepar', TrainingInputMode: 'File' },
  RoleArn: ROLE,
  HyperParameters: hyperParameters,
  InputDataConfig: ['train', 'test'].map((channel) => ({
    ChannelName: channel,
    ContentType: 'json',
    DataSource: {
      S3DataSource: {
        S3DataType: 'S3Prefix',
        S3Uri: `s3://${BUCKET}/deepar/${version}/${channel}/`,
        S3DataDistributionType: 'FullyReplicated',
      },
    },
  })),
  OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/artifacts/` },
  ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.c5.xlarge', VolumeSizeInGB: 10 },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 },
});

/** Train, create model and endpoint config the way the retrain state machine chains them. */
const trainAndConfigure = async (sagemaker: LocalSageMaker, version: string) => {
  const job = await sagemaker.createTrainingJob(trainingRequest(version));
  const name = job.TrainingJobName;
  await sagemaker.createModel({
    ModelName: name,
    PrimaryContainer: { Image: 'local/deepar', ModelDataUrl: job.ModelArtifacts?.S3ModelArtifacts },
    ExecutionRoleArn: ROLE,
  });
  await sagemaker.createEndpointConfig({
    EndpointConfigName: name,
    ProductionVariants: [
      {
        VariantName: `v-${version}`,
        ModelName: name,
        InitialInstanceCount: 1,
        InstanceType: 'ml.m5.large',
        InitialVariantWeight: 1,
      },
    ],
  });
  return job;
};

/** Polls describeEndpoint until it leaves Creating/Updating (bounded, no timing assertion). */
const waitForEndpoint = async (sagemaker: LocalSageMaker) => {
  for (let attempt = 0; attempt < 400; attempt++) {
    const description = await sagemaker.describeEndpoint({ EndpointName: ENDPOINT });
    if (description.EndpointStatus !== 'Creating' && description.EndpointStatus !== 'Updating') {
      return description;
    }
    await sleep(25);
  }
  throw new Error('endpoint still deploying after 400 polls');
};

const invoke = async (url: string, endpointName = ENDPOINT) => {
  const client = new SageMakerRuntimeClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const history = syntheticSeries({ hours: 24 * 7, seed: 9 })[0];
  const out = await client.send(
    new InvokeEndpointCommand({
      EndpointName: endpointName,
      ContentType: 'application/json',
      Accept: 'application/json',
      Body: JSON.stringify({
        instances: [history],
        configuration: { output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.9'] },
      }),
    }),
  );
  client.destroy();
  const body = JSON.parse(new TextDecoder().decode(out.Body)) as DeepArResponse;
  return { body, variant: out.InvokedProductionVariant };
};

describe('LocalSageMaker end to end', () => {
  let workDir: string;
  let store: MemoryObjectStore;
  let sagemaker: LocalSageMaker;
  let runtime: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'smogcast-sagemaker-'));
    store = new MemoryObjectStore(BUCKET);
    await writeChannels(store, '1', 1);
    await writeChannels(store, '2', 2);
    sagemaker = await LocalSageMaker.open({ store, workDir });
    runtime = await sagemaker.startRuntimeServer({ port: 0 });
  });

  afterAll(() =>
    teardown(
      [workDir],
      () => runtime?.close(),
      () => sagemaker?.close(),
    ),
  );

  it('reports an unknown endpoint as ValidationException before anything is deployed', async () => {
    // Act
    const attempt = sagemaker.describeEndpoint({ EndpointName: ENDPOINT });

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'ValidationException',
      message: `Could not find endpoint "${ENDPOINT}".`,
    });
  });

  it('trains, uploads model.tar.gz and returns DescribeTrainingJob with DeepAR metrics', async () => {
    // Act
    const job = await trainAndConfigure(sagemaker, '1');

    // Assess
    expect(job).toMatchObject({
      TrainingJobName: 'smogcast-1',
      TrainingJobStatus: 'Completed',
      ModelArtifacts: {
        S3ModelArtifacts: `s3://${BUCKET}/models/artifacts/smogcast-1/output/model.tar.gz`,
      },
      HyperParameters: HYPERPARAMETERS,
    });
    expect(job.TrainingJobArn).toBe(
      'arn:aws:sagemaker:us-east-1:000000000000:training-job/smogcast-1',
    );
    expect(job.FinalMetricDataList.map((m) => m.MetricName)).toContain('test:mean_wQuantileLoss');
    expect(await store.get('models/artifacts/smogcast-1/output/model.tar.gz')).toBeDefined();
  });

  it('rejects a duplicate endpoint config like SageMaker', async () => {
    // Act
    const attempt = sagemaker.createEndpointConfig({
      EndpointConfigName: 'smogcast-1',
      ProductionVariants: [{ VariantName: 'v-1', ModelName: 'smogcast-1' }],
    });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('creates the endpoint, goes InService and answers InvokeEndpoint through the AWS SDK', async () => {
    // Act
    await sagemaker.createEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: 'smogcast-1' });
    const description = await waitForEndpoint(sagemaker);
    const { body, variant } = await invoke(runtime.url);

    // Assess
    expect(description).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'smogcast-1',
      ProductionVariants: [{ VariantName: 'v-1', CurrentWeight: 1, DesiredWeight: 1 }],
    });
    expect(variant).toBe('v-1');
    expect(body.predictions[0]?.mean).toHaveLength(24);
    expect(Object.keys(body.predictions[0]?.quantiles ?? {})).toEqual(['0.1', '0.9']);
  });

  it('surfaces an unknown endpoint as the SDK ValidationError', async () => {
    // Act
    const attempt = invoke(runtime.url, 'nope');

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'Endpoint nope of account 000000000000 not found.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('surfaces a malformed inference body as a 400 ValidationError', async () => {
    // Act
    const response = await fetch(`${runtime.url}/endpoints/${ENDPOINT}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ start: 'yesterday', target: [1] }] }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationError');
    expect(((await response.json()) as { message: string }).message).toMatch(
      /instances\[0\]: start/,
    );
  });

  it('keeps serving the old config when a new one fails to load', async () => {
    // Prepare: a model whose artifact is missing from the lake
    await sagemaker.createModel({
      ModelName: 'broken',
      PrimaryContainer: { ModelDataUrl: `s3://${BUCKET}/models/artifacts/missing/model.tar.gz` },
    });
    await sagemaker.createEndpointConfig({
      EndpointConfigName: 'broken',
      ProductionVariants: [{ VariantName: 'v-broken', ModelName: 'broken' }],
    });

    // Act
    await sagemaker.updateEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: 'broken' });
    const description = await waitForEndpoint(sagemaker);
    const { variant } = await invoke(runtime.url);

    // Assess
    expect(description.EndpointStatus).toBe('InService');
    expect(description.EndpointConfigName).toBe('smogcast-1');
    expect(description.FailureReason).toMatch(/model artifact not found/);
    expect(variant).toBe('v-1');
  });

  it('switches to the new variant after a second training and updateEndpoint', async () => {
    // Prepare
    await trainAndConfigure(sagemaker, '2');

    // Act
    await sagemaker.updateEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: 'smogcast-2' });
    const description = await waitForEndpoint(sagemaker);
    const { variant } = await invoke(runtime.url);

    // Assess
    expect(description).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'smogcast-2',
    });
    expect(description.FailureReason).toBeUndefined();
    expect(variant).toBe('v-2');
  });

  it('fails a training job with the trainer reason under TrainingJobFailedError', async () => {
    // Prepare
    const request = trainingRequest('3', { ...HYPERPARAMETERS, epoch: '3' });
    request.InputDataConfig = trainingRequest('2').InputDataConfig;

    // Act
    const attempt = sagemaker.createTrainingJob(request);

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'TrainingJobFailedError',
      message: expect.stringMatching(/unknown hyperparameters: epoch/),
    });
    const job = await sagemaker.describeTrainingJob({ TrainingJobName: 'smogcast-3' });
    expect(job.TrainingJobStatus).toBe('Failed');
  });

  it('still serves the deployed model after a restart on the same workDir', async () => {
    // Prepare
    await runtime.close();
    await sagemaker.close();

    // Act
    sagemaker = await LocalSageMaker.open({ store, workDir });
    runtime = await sagemaker.startRuntimeServer({ port: 0 });
    const description = await sagemaker.describeEndpoint({ EndpointName: ENDPOINT });
    const { variant, body } = await invoke(runtime.url);

    // Assess
    expect(description).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'smogcast-2',
    });
    expect(variant).toBe('v-2');
    expect(body.predictions[0]?.mean).toHaveLength(24);
  });
});
