// Blue/green endpoint updates with deployment guardrails, end to end: real training, real model
// artifacts (one copy carrying a faultInjection field), InvokeEndpoint over HTTP while the
// traffic shifts, and the AWS SDK on the runtime side.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../functions/common/adapters/memory-object-store.js';
import { packTarGz, unpackTarGz } from '../../../local/sagemaker/control-plane/tarball.js';
import {
  LocalSageMaker,
  type LocalSageMakerOptions,
} from '../../../local/sagemaker/local-sagemaker.js';
import { HYPERPARAMETERS, syntheticSeries, toJsonLines } from '../../unit/forecasting/synthetic.js';
import { teardown } from '../teardown.js';

const BUCKET = 'smogcast-lake';
const ROLE = 'arn:aws:iam::000000000000:role/smogcast-local-sagemaker';
const CONFIG_HEADER = 'x-smogcast-endpoint-config';
const ALARMS: LocalSageMakerOptions['alarms'] = {
  'smogcast-new-variant-5xx': { metric: 'Invocation5XXErrors', threshold: 0 },
  // Mean ModelLatency above 20 ms (CloudWatch reports microseconds).
  'smogcast-new-variant-latency': { metric: 'ModelLatency', threshold: 20_000, minInvocations: 3 },
};
/** A SageMaker minute lasts 0.6 s here. */
const TIME_SCALE = 0.01;

const history = syntheticSeries({ devices: 1, metrics: 1, hours: 24 * 7, seed: 9 })[0];
const REQUEST = JSON.stringify({
  instances: [history],
  configuration: { output_types: ['mean'], num_samples: 20 },
});

/** Alternating draws: a 50% canary gets exactly every other request. */
const alternating = () => {
  let i = 0;
  return () => (i++ % 2 === 0 ? 0.25 : 0.75);
};

/** Trains once and registers models: two healthy ones and one whose model throws on predict. */
const prepareModels = async (store: MemoryObjectStore, sagemaker: LocalSageMaker) => {
  const lines = syntheticSeries({ devices: 2, metrics: 1, hours: 24 * 10, seed: 1 });
  const train = lines.map((line) => ({ ...line, target: line.target.slice(0, -24) }));
  await store.put('deepar/bg/train/series.json', toJsonLines(train));
  await store.put('deepar/bg/test/series.json', toJsonLines(lines));
  const job = await sagemaker.createTrainingJob({
    TrainingJobName: 'smogcast-bg',
    AlgorithmSpecification: { TrainingImage: 'local/deepar', TrainingInputMode: 'File' },
    RoleArn: ROLE,
    HyperParameters: HYPERPARAMETERS,
    InputDataConfig: ['train', 'test'].map((channel) => ({
      ChannelName: channel,
      DataSource: {
        S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/deepar/bg/${channel}/` },
      },
    })),
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/artifacts/` },
    ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.c5.xlarge', VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  });
  const url = job.ModelArtifacts?.S3ModelArtifacts ?? '';
  // Faulty copies: the same artifact with faultInjection added to its model.json.
  const bytes = (await store.get(url.replace(`s3://${BUCKET}/`, ''))) as Uint8Array;
  const withFault = async (name: string, faultInjection: Record<string, number>) => {
    const entries = (await unpackTarGz(bytes)).map((entry) =>
      entry.path === 'model.json'
        ? {
            path: entry.path,
            data: new TextEncoder().encode(
              JSON.stringify({
                ...JSON.parse(new TextDecoder().decode(entry.data)),
                faultInjection,
              }),
            ),
          }
        : entry,
    );
    await store.put(`models/artifacts/${name}/model.tar.gz`, await packTarGz(entries));
    return `s3://${BUCKET}/models/artifacts/${name}/model.tar.gz`;
  };
  const models = {
    blue: url,
    green: url,
    faulty: await withFault('faulty', { errorRate: 1 }),
    slow: await withFault('slow', { latencyMs: 40 }),
  };
  for (const [name, ModelDataUrl] of Object.entries(models)) {
    await sagemaker.createModel({ ModelName: name, PrimaryContainer: { ModelDataUrl } });
  }
};

let configs = 0;
/** An endpoint config with variant `primary` (as the pipeline names it) on `instances` instances. */
const config = async (
  sagemaker: LocalSageMaker,
  model: string,
  instances: number,
  variants: Array<{ name: string; model: string; weight: number }> = [
    { name: 'primary', model, weight: 1 },
  ],
) => {
  configs += 1;
  const EndpointConfigName = `${model}-${configs}`;
  await sagemaker.createEndpointConfig({
    EndpointConfigName,
    ProductionVariants: variants.map((v) => ({
      VariantName: v.name,
      ModelName: v.model,
      InitialInstanceCount: instances,
      InstanceType: 'ml.m5.large',
      InitialVariantWeight: v.weight,
    })),
  });
  return EndpointConfigName;
};

/** Polls describeEndpoint until it leaves Creating/Updating, recording what it saw. */
const waitForEndpoint = async (
  sagemaker: LocalSageMaker,
  EndpointName: string,
  onPoll: (
    d: Awaited<ReturnType<LocalSageMaker['describeEndpoint']>>,
  ) => Promise<void> = async () => {},
) => {
  for (let attempt = 0; attempt < 1500; attempt++) {
    const d = await sagemaker.describeEndpoint({ EndpointName });
    if (d.EndpointStatus !== 'Creating' && d.EndpointStatus !== 'Updating') return d;
    await onPoll(d);
    await sleep(5);
  }
  throw new Error(`${EndpointName} still deploying after 1500 polls`);
};

const createEndpoint = async (
  sagemaker: LocalSageMaker,
  EndpointName: string,
  configName: string,
) => {
  await sagemaker.createEndpoint({ EndpointName, EndpointConfigName: configName });
  return waitForEndpoint(sagemaker, EndpointName);
};

/** One InvokeEndpoint over HTTP: status and the fleet that answered. */
const call = async (url: string, endpoint: string) => {
  const response = await fetch(`${url}/endpoints/${endpoint}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: REQUEST,
  });
  await response.arrayBuffer();
  return {
    status: response.status,
    fleet: response.headers.get(CONFIG_HEADER),
    variant: response.headers.get('x-amzn-invoked-production-variant'),
  };
};

const canaryConfig = (waitSeconds: number, alarms = ['smogcast-new-variant-5xx']) => ({
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: {
      Type: 'CANARY',
      CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 },
      WaitIntervalInSeconds: waitSeconds,
    },
    TerminationWaitInSeconds: 30,
    MaximumExecutionTimeoutInSeconds: 2 * waitSeconds + 30 + 600,
  },
  AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) },
});

const allAtOnceConfig = (waitSeconds: number, alarms: string[] = []) => ({
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: waitSeconds },
  },
  ...(alarms.length > 0
    ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } }
    : {}),
});

describe('LocalSageMaker blue/green deployments', () => {
  let workDir: string;
  let store: MemoryObjectStore;
  let sagemaker: LocalSageMaker;
  let runtime: { url: string; close(): Promise<void> };
  const options = () => ({
    store,
    workDir,
    alarms: ALARMS,
    timeScale: TIME_SCALE,
    random: alternating(),
  });

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'smogcast-bluegreen-'));
    store = new MemoryObjectStore(BUCKET);
    sagemaker = await LocalSageMaker.open(options());
    runtime = await sagemaker.startRuntimeServer({ port: 0 });
    await prepareModels(store, sagemaker);
  });

  afterAll(() =>
    teardown(
      [workDir],
      () => runtime?.close(),
      () => sagemaker?.close(),
    ),
  );

  /** Endpoint `name` serving model `blue`, and a config of model `next` to update it to. */
  const endpointAndNext = async (name: string, next: string, instances: number) => {
    const blue = await config(sagemaker, 'blue', instances);
    const nextConfig = await config(sagemaker, next, instances);
    await createEndpoint(sagemaker, name, blue);
    return { blue, next: nextConfig };
  };

  const update = (EndpointName: string, EndpointConfigName: string, DeploymentConfig: object) =>
    sagemaker.updateEndpoint({ EndpointName, EndpointConfigName, DeploymentConfig });

  it('canary: splits traffic while baking, reports Updating on the old config, then promotes', async () => {
    // Prepare
    const { blue, next: green } = await endpointAndNext('canary-ok', 'green', 2);

    // Act
    await update('canary-ok', green, canaryConfig(60));
    const during = await sagemaker.describeEndpoint({ EndpointName: 'canary-ok' });
    // SageMaker takes no new update (nor new weights) while one is in progress.
    const again = await sagemaker
      .updateEndpoint({ EndpointName: 'canary-ok', EndpointConfigName: blue })
      .catch((error: Error) => error);
    const weights = await sagemaker
      .updateEndpointWeightsAndCapacities({
        EndpointName: 'canary-ok',
        DesiredWeightsAndCapacities: [{ VariantName: 'primary', DesiredWeight: 1 }],
      })
      .catch((error: Error) => error);
    const fleets = new Set<string | null>();
    const stages = new Set<string>();
    const final = await waitForEndpoint(sagemaker, 'canary-ok', async (d) => {
      const status = d.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0];
      if (status) stages.add(`${status.Status}:${d.EndpointConfigName}`);
      if (status?.Status === 'Baking') fleets.add((await call(runtime.url, 'canary-ok')).fleet);
    });
    const after = await call(runtime.url, 'canary-ok');

    // Assess
    expect(during).toMatchObject({
      EndpointStatus: 'Updating',
      EndpointConfigName: blue,
      PendingDeploymentSummary: { EndpointConfigName: green },
      LastDeploymentConfig: canaryConfig(60),
    });
    expect(again).toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^Cannot update in-progress endpoint/),
    });
    expect(weights).toMatchObject({ name: 'ValidationException' });
    expect(stages).toContain(`Baking:${blue}`);
    expect(fleets).toEqual(new Set([blue, green]));
    expect(final).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: green });
    expect(final.FailureReason).toBeUndefined();
    expect(final.PendingDeploymentSummary).toBeUndefined();
    expect(after).toEqual({ status: 200, fleet: green, variant: 'primary' });
    const shifts = sagemaker
      .endpointEvents('canary-ok')
      .filter((e) => e.Type === 'ActivatingTraffic')
      .map((e) => e.Message);
    expect(shifts).toEqual([
      expect.stringMatching(/CANARY step 1\/2: 50% of traffic \(1\/2 instances\)/),
      expect.stringMatching(/CANARY step 2\/2: 100% of traffic/),
    ]);
    expect(sagemaker.endpointEvents('canary-ok').at(-1)?.Type).toBe('Completed');
  });

  it('canary: a new model that fails under live traffic trips the alarm and rolls back to blue', async () => {
    // Prepare
    const { blue, next: faulty } = await endpointAndNext('canary-bad', 'faulty', 2);
    const client = new SageMakerRuntimeClient({
      region: 'us-east-1',
      endpoint: runtime.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    // Act: a client keeps calling while the canary bakes (10 SageMaker minutes = 6 s at most)
    await update('canary-bad', faulty, canaryConfig(600));
    const responses: Array<Awaited<ReturnType<typeof call>>> = [];
    const final = await waitForEndpoint(sagemaker, 'canary-bad', async () => {
      responses.push(await call(runtime.url, 'canary-bad'));
    });
    const afterwards = await Promise.all(
      Array.from({ length: 10 }, () => call(runtime.url, 'canary-bad')),
    );
    const sdk = await client.send(
      new InvokeEndpointCommand({
        EndpointName: 'canary-bad',
        ContentType: 'application/json',
        Body: REQUEST,
      }),
    );
    client.destroy();

    // Assess
    expect(responses).toContainEqual({ status: 424, fleet: faulty, variant: null });
    expect(final).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: blue,
      FailureReason: expect.stringMatching(
        new RegExp(`^Rolled back to ${blue}: alarm smogcast-new-variant-5xx went to ALARM`),
      ),
    });
    expect(afterwards.every((r) => r.status === 200 && r.fleet === blue)).toBe(true);
    expect(sdk.InvokedProductionVariant).toBe('primary');
    const events = sagemaker.endpointEvents('canary-bad');
    expect(events.at(-1)).toMatchObject({ Type: 'RolledBack' });
    expect(events.map((e) => e.Message).join('\n')).not.toMatch(/step 2\/2/);
    const [blueMetrics] = sagemaker.variantMetrics('canary-bad');
    expect(blueMetrics).toMatchObject({ EndpointConfigName: blue, Invocation5XXErrors: 0 });
    expect(blueMetrics?.Invocations).toBeGreaterThanOrEqual(11);
  });

  it('linear: shifts a quarter of the traffic per step, baking after each', async () => {
    // Prepare
    const { next: green } = await endpointAndNext('linear', 'green', 4);

    // Act
    await update('linear', green, {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'LINEAR',
          LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
          WaitIntervalInSeconds: 10,
        },
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'smogcast-new-variant-latency' }] },
    });
    const counts = new Set<number>();
    const final = await waitForEndpoint(sagemaker, 'linear', async (d) => {
      const variant = d.PendingDeploymentSummary?.ProductionVariants?.[0];
      if (variant) counts.add(variant.CurrentInstanceCount);
    });

    // Assess
    expect(final).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: green });
    const events = sagemaker.endpointEvents('linear');
    expect(events.filter((e) => e.Type === 'ActivatingTraffic').map((e) => e.Message)).toEqual(
      [25, 50, 75, 100].map((p, i) => expect.stringContaining(`LINEAR step ${i + 1}/4: ${p}% `)),
    );
    expect(events.filter((e) => e.Type === 'Baking')).toHaveLength(4);
    expect([...counts].some((c) => c > 0 && c < 4)).toBe(true);
  });

  it('all at once: one shift and one bake, then the new config serves', async () => {
    // Prepare
    const { next: green } = await endpointAndNext('all-at-once', 'green', 1);

    // Act
    await update('all-at-once', green, allAtOnceConfig(5));
    const final = await waitForEndpoint(sagemaker, 'all-at-once');

    // Assess
    expect(final).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: green });
    const types = sagemaker.endpointEvents('all-at-once').map((e) => e.Type);
    expect(types.slice(-5)).toEqual([
      'UpdateStarted',
      'ActivatingTraffic',
      'Baking',
      'Deleting',
      'Completed',
    ]);
    expect((await call(runtime.url, 'all-at-once')).fleet).toBe(green);
  });

  it('all at once: a slow new model trips the latency alarm during the bake and rolls back', async () => {
    // Prepare
    const { blue, next: slow } = await endpointAndNext('slow-model', 'slow', 1);

    // Act
    await update('slow-model', slow, allAtOnceConfig(600, ['smogcast-new-variant-latency']));
    const fleets: Array<string | null> = [];
    const final = await waitForEndpoint(sagemaker, 'slow-model', async () => {
      fleets.push((await call(runtime.url, 'slow-model')).fleet);
    });

    // Assess
    expect(fleets.filter((f) => f === slow).length).toBeGreaterThanOrEqual(3);
    expect(final).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: blue,
      FailureReason: expect.stringMatching(
        /alarm smogcast-new-variant-latency went to ALARM: ModelLatency/,
      ),
    });
    expect((await call(runtime.url, 'slow-model')).fleet).toBe(blue);
  });

  it('refuses an undefined rollback alarm, or a canary on a one-instance fleet, with ValidationException', async () => {
    // Prepare
    const { blue, next: green } = await endpointAndNext('guarded', 'green', 2);
    const single = await config(sagemaker, 'green', 1);

    // Act
    const missingAlarm = update('guarded', green, canaryConfig(60, ['no-such-alarm']));
    const tooSmall = update('guarded', single, canaryConfig(60));

    // Assess
    await expect(missingAlarm).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/no-such-alarm/),
    });
    await expect(tooSmall).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/CanarySize must be at most 50%/),
    });
    expect(await sagemaker.describeEndpoint({ EndpointName: 'guarded' })).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: blue,
    });
  });

  it('refuses a guarded update that changes the variant names; a plain update may change them', async () => {
    // Prepare: an endpoint on one `primary` variant, and a champion/challenger config.
    const { blue } = await endpointAndNext('renamed', 'green', 2);
    const pair = await config(sagemaker, 'pair', 2, [
      { name: 'champion', model: 'blue', weight: 1 },
      { name: 'challenger', model: 'green', weight: 1 },
    ]);

    // Act
    const guarded = update('renamed', pair, allAtOnceConfig(0));
    await expect(guarded).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/same variant names.*\[primary\].*\[challenger, champion\]/),
    });
    const unchanged = await sagemaker.describeEndpoint({ EndpointName: 'renamed' });
    await sagemaker.updateEndpoint({ EndpointName: 'renamed', EndpointConfigName: pair });
    const switched = await waitForEndpoint(sagemaker, 'renamed');
    const back = update('renamed', blue, canaryConfig(0));

    // Assess
    expect(unchanged).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: blue });
    expect(switched).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: pair });
    expect(switched.ProductionVariants?.map((v) => v.VariantName)).toEqual([
      'champion',
      'challenger',
    ]);
    await expect(back).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/same variant names/),
    });
  });

  it('A/B: routes by variant weight, counts per variant, and takes new weights', async () => {
    // Prepare
    const ab = await config(sagemaker, 'ab', 1, [
      { name: 'champion', model: 'blue', weight: 1 },
      { name: 'challenger', model: 'green', weight: 1 },
    ]);
    await createEndpoint(sagemaker, 'ab-test', ab);
    const before = await Promise.all(Array.from({ length: 8 }, () => call(runtime.url, 'ab-test')));

    // Act
    await sagemaker.updateEndpointWeightsAndCapacities({
      EndpointName: 'ab-test',
      DesiredWeightsAndCapacities: [
        { VariantName: 'champion', DesiredWeight: 0 },
        { VariantName: 'challenger', DesiredWeight: 3 },
      ],
    });
    const updating = await sagemaker.describeEndpoint({ EndpointName: 'ab-test' });
    const described = await waitForEndpoint(sagemaker, 'ab-test');
    const after = await Promise.all(Array.from({ length: 8 }, () => call(runtime.url, 'ab-test')));
    const unknown = sagemaker.updateEndpointWeightsAndCapacities({
      EndpointName: 'ab-test',
      DesiredWeightsAndCapacities: [{ VariantName: 'nobody', DesiredWeight: 1 }],
    });

    // Assess
    expect(new Set(before.map((r) => r.variant))).toEqual(new Set(['champion', 'challenger']));
    expect(updating.EndpointStatus).toBe('Updating');
    expect(described.ProductionVariants).toEqual([
      expect.objectContaining({ VariantName: 'champion', CurrentWeight: 0, DesiredWeight: 0 }),
      expect.objectContaining({ VariantName: 'challenger', CurrentWeight: 3, DesiredWeight: 3 }),
    ]);
    expect(after.every((r) => r.variant === 'challenger')).toBe(true);
    const metrics = Object.fromEntries(
      sagemaker.variantMetrics('ab-test').map((m) => [m.VariantName, m.Invocations]),
    );
    expect(metrics.champion).toBe(before.filter((r) => r.variant === 'champion').length);
    expect(metrics.challenger).toBe(16 - (metrics.champion ?? 0));
    await expect(unknown).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('rolls an update interrupted by a restart back to blue and records why', async () => {
    // Prepare: a canary that bakes for an hour of SageMaker time
    const { blue, next: green } = await endpointAndNext('restarted', 'green', 2);
    await update('restarted', green, canaryConfig(3600));
    for (let attempt = 0; attempt < 1000; attempt++) {
      const d = await sagemaker.describeEndpoint({ EndpointName: 'restarted' });
      if (
        d.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]?.Status === 'Baking'
      )
        break;
      await sleep(5);
    }

    // Act
    await runtime.close();
    await sagemaker.close();
    sagemaker = await LocalSageMaker.open(options());
    runtime = await sagemaker.startRuntimeServer({ port: 0 });
    const described = await sagemaker.describeEndpoint({ EndpointName: 'restarted' });
    const answer = await call(runtime.url, 'restarted');

    // Assess
    expect(described).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: blue,
      FailureReason: `Rolled back to ${blue}: the local SageMaker restarted during the deployment of ${green}`,
    });
    expect(described.PendingDeploymentSummary).toBeUndefined();
    expect(answer).toEqual({ status: 200, fleet: blue, variant: 'primary' });
    expect(sagemaker.endpointEvents('restarted').map((e) => e.Type)).toContain('Baking');
    expect(sagemaker.endpointEvents('restarted').at(-1)?.Type).toBe('RolledBack');
  });
});
