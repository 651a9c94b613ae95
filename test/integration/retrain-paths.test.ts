// Every path of the retrain state machine, run from the real definition on the local stand-ins
// (aws-local-stepfunctions, the local SageMaker control plane and endpoint, the real step
// handlers): each test asserts the run's outcome, the registry entry and which model serves.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVING_CARD_KEY } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText, encodeText } from '../../core/text.js';
import { MemoryObjectStore } from '../../functions/common/adapters/memory-object-store.js';
import { SageMakerEndpoint } from '../../functions/common/adapters/sagemaker-endpoint.js';
import { LOCAL_S3_CREDENTIALS } from '../../functions/common/deps.js';
import { cachedModelCard } from '../../functions/common/model-card-source.js';
import type { ExecutionRecord } from '../../local/execution-record.js';
import { AuthorizedObjectStore } from '../../local/iam/authorized-store.js';
import { LocalIam } from '../../local/iam/local-iam.js';
import { loadTemplate } from '../../local/iam/template.js';
import { RETRAIN_DEFINITION_PATH } from '../../local/retrain-runner.js';
import {
  createRetrainService,
  LOCAL_ROLLBACK_ALARMS,
  type RetrainService,
} from '../../local/retrain-service.js';
import { LocalSageMaker } from '../../local/sagemaker/control-plane/local-sagemaker.js';
import { packTarGz, unpackTarGz } from '../../local/sagemaker/control-plane/tarball.js';
import { localControlPlane } from '../fixtures/local-control-plane.js';
import { fastRetrainSettings } from '../fixtures/retrain-settings.js';
import { syntheticDelivery } from '../fixtures/synthetic-delivery.js';

const HOUR = 3_600_000;
const DEVICES = ['sim-001', 'sim-002'];
const ENDPOINT = 'smogcast';
/** Where the readings of every test world end before its first run. */
const START = Date.parse('2026-11-20T00:00:00Z');
/** IAM enforced: every step, the ETL and SageMaker reach the lake as their template role. */
const IAM = new LocalIam(loadTemplate());

/** A model-creation hook: lets a test hand the deployment a broken or faulty model. */
type TamperModel = (request: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** A DescribeEndpoint hook, given the real call: lets a test report another status or fail. */
type TamperDescribe = (
  real: () => Promise<Record<string, unknown>>,
) => Promise<Record<string, unknown>>;

/** The definition's bound on the deployment wait loop (DescribeEndpoint polls). */
const WAIT_POLLS = (
  JSON.parse(await readFile(RETRAIN_DEFINITION_PATH, 'utf8')) as {
    States: { Configure: { Parameters: { endpointWait: { maxPolls: number } } } };
  }
).States.Configure.Parameters.endpointWait.maxPolls;

/** `inner` with one method replaced; every other member (getVersioned, putIfMatch…) as it is. */
const withMethod = <K extends 'get' | 'put'>(
  inner: ObjectStore,
  name: K,
  method: ObjectStore[K],
): ObjectStore =>
  new Proxy(inner, {
    get: (target, prop) => {
      if (prop === name) return method;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

/**
 * One test's own world: its clock, lake, local SageMaker and retrain service, so no test
 * depends on what another one left behind.
 */
interface World {
  store: MemoryObjectStore;
  sagemaker: LocalSageMaker;
  endpoint: SageMakerEndpoint;
  /** Wall clock of this world: readings end here. */
  clock: number;
  /** Applied to the next createModel only. */
  tamperModel: TamperModel | undefined;
  /** Applied to every describeEndpoint while set. */
  tamperDescribe: TamperDescribe | undefined;
  /** Fails record-run's puts of the keys it matches, while set. */
  failRecordPut: ((key: string) => boolean) | undefined;
  /**
   * Holds SageMaker's reads of model artifacts until the returned release is called: a new
   * fleet cannot load, so the endpoint really stays Updating (no status is faked).
   */
  holdModelLoads(): () => void;
  close(): Promise<void>;
}

const openWorld = async (): Promise<World> => {
  const workDir = await mkdtemp(join(tmpdir(), 'smogcast-retrain-'));
  const store = new MemoryObjectStore('smogcast-lake');
  const gate: { held: Promise<void> | undefined } = { held: undefined };
  const sagemakerStore = new AuthorizedObjectStore(store, IAM, 'sagemaker');
  const sagemaker = await LocalSageMaker.open({
    store: withMethod(sagemakerStore, 'get', async (key) => {
      if (key.endsWith('.tar.gz')) await gate.held;
      return sagemakerStore.get(key);
    }),
    workDir,
    log: () => undefined,
    alarms: {
      [LOCAL_ROLLBACK_ALARMS.errors]: { metric: 'Invocation5XXErrors', threshold: 0 },
      [LOCAL_ROLLBACK_ALARMS.latency]: { metric: 'ModelLatency', threshold: 5_000_000 },
    },
    // A SageMaker second of baking lasts 20 ms here.
    timeScale: 0.02,
  }).catch(async (error: unknown) => {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  });
  const close = async () => {
    await sagemaker.close();
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    const server = await sagemaker.startRuntimeServer({ port: 0 });
    const endpoint = new SageMakerEndpoint({
      region: 'us-east-1',
      endpointName: ENDPOINT,
      url: server.url,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    return {
      store,
      sagemaker,
      endpoint,
      clock: START,
      tamperModel: undefined,
      tamperDescribe: undefined,
      failRecordPut: undefined,
      holdModelLoads: () => {
        let release = () => {};
        gate.held = new Promise<void>((resolve) => {
          release = resolve;
        });
        return () => {
          gate.held = undefined;
          release();
        };
      },
      close: async () => {
        await server.close();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
};

const retrainService = (world: World): RetrainService => {
  const { sagemaker } = world;
  const controlPlane = localControlPlane(sagemaker, {
    createModel: (r) => {
      const tamper = world.tamperModel;
      world.tamperModel = undefined;
      return tamper ? tamper(r) : sagemaker.createModel(r);
    },
    describeEndpoint: (r) => {
      const real = () =>
        sagemaker.describeEndpoint(r) as unknown as Promise<Record<string, unknown>>;
      const tamper = world.tamperDescribe;
      return tamper ? tamper(real) : real();
    },
  });
  return createRetrainService({
    store: world.store,
    storeOf: (caller) => {
      const store =
        caller === 'record-run'
          ? withMethod(world.store, 'put', async (key, body, contentType) => {
              if (world.failRecordPut?.(key)) throw new Error(`injected: put ${key} failed`);
              return (world.store as ObjectStore).put(key, body, contentType);
            })
          : world.store;
      return new AuthorizedObjectStore(store, IAM, caller);
    },
    iam: IAM,
    sagemaker: controlPlane,
    endpoint: world.endpoint,
    modelCard: cachedModelCard(world.store, 0),
    ...fastRetrainSettings(() => world.clock),
  });
};

let world: World;
let service: RetrainService;

/** Hourly readings of every device for `hours` hours ending at the clock, pollution × `scale`. */
const publish = async (hours: number, scale = 1) => {
  const { key, body } = syntheticDelivery(DEVICES, world.clock, hours, scale);
  await world.store.put(key, body);
};

const servingVersion = async () => {
  const bytes = await world.store.get(SERVING_CARD_KEY);
  return bytes ? (JSON.parse(decodeText(bytes)) as { version: string }).version : undefined;
};
const registry = async (version: string) =>
  JSON.parse(
    decodeText((await world.store.get(`models/registry/${version}.json`)) ?? encodeText('null')),
  );
const endpointConfig = async () =>
  (await world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT })).EndpointConfigName as string;

/** Runs the machine, advancing the test clock so each run gets its own version. */
const run = async (...args: Parameters<RetrainService['run']>): Promise<ExecutionRecord> => {
  world.clock += HOUR;
  return service.run(...args);
};

/** The first run on six days of readings: the champion that later runs compete with. */
const promoteFirstChampion = async (): Promise<string> => {
  const record = await run();
  expect(record.outcome, record.cause).toBe('promoted');
  return record.version as string;
};

/** Two new days at three times the pollution: data drift for the champion. */
const publishDrift = async () => {
  world.clock += 48 * HOUR;
  await publish(48, 3);
};

/** Sends forecast traffic through the endpoint until `until` settles; returns the variants seen. */
const trafficDuring = async <T>(until: Promise<T>) => {
  let done = false;
  const settled = until.finally(() => {
    done = true;
  });
  const answers = { ok: 0, failed: 0 };
  const instance = {
    start: '2026-11-19 00:00:00',
    target: Array.from({ length: 48 }, (_, h) => 20 + (h % 24)),
    cat: [0, 1],
  };
  for (let i = 0; i < 2_000 && !done; i++) {
    await world.endpoint
      .invoke({ instances: [instance], configuration: { output_types: ['mean'] } })
      .then(
        () => answers.ok++,
        () => answers.failed++,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
  return { result: await settled, answers };
};

beforeEach(async () => {
  world = await openWorld();
  service = retrainService(world);
  await publish(24 * 6);
});

afterEach(async () => {
  await world?.close();
});

describe('retrain state machine paths', () => {
  it('first run, no champion: trains, creates the endpoint and promotes', async () => {
    const record = await run();
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.reasons).toContain('no champion model yet');
    expect(record.states).toContain('CreateEndpoint');
    expect(record.states).not.toContain('UpdateEndpointCanary');
    const version = record.version as string;
    expect(await servingVersion()).toBe(version);
    expect(await registry(version)).toMatchObject({
      outcome: 'promoted',
      evaluation: { promote: true },
    });
    expect(await endpointConfig()).toBe(`smogcast-${version}`);
  });

  it('no drift: skips training, with the numbers, and leaves the champion serving', async () => {
    const champion = await promoteFirstChampion();
    const record = await run();
    expect(record.outcome, record.cause).toBe('skipped');
    expect(record.reasons?.[0]).toMatch(/^no drift: max PSI/);
    expect(record.states).not.toContain('Train');
    expect(record.version).toBeNull();
    expect(await servingVersion()).toBe(champion);
  });

  it('drift: trains, canaries the challenger and promotes it', async () => {
    // Prepare: a champion, then two new days at three times the pollution.
    const champion = await promoteFirstChampion();
    await publishDrift();
    // Act: traffic flows through the canary while the run deploys.
    const { result: record, answers } = await trafficDuring(run({ promotionMargin: -1 }));
    // Assess
    expect(record.outcome, JSON.stringify(record.reasons)).toBe('promoted');
    expect(record.reasons?.join('; ')).toMatch(/data drift: PSI\(/);
    expect(record.states).toContain('UpdateEndpointCanary');
    expect(answers.failed).toBe(0);
    const version = record.version as string;
    expect(version).not.toBe(champion);
    expect(await servingVersion()).toBe(version);
    expect(await endpointConfig()).toBe(`smogcast-${version}`);
    expect(await registry(version)).toMatchObject({
      outcome: 'promoted',
      deployment: { strategy: 'canary' },
    });
  });

  it('a challenger not better by the margin is rejected, the champion untouched', async () => {
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: 0.99 });
    expect(record.outcome, record.cause).toBe('rejected');
    expect(record.reasons?.at(-1)).toMatch(/^not better/);
    expect(record.states).not.toContain('CreateModel');
    expect(await registry(record.version as string)).toMatchObject({
      outcome: 'rejected',
      evaluation: { promote: false },
    });
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
  });

  it('a failing training job is caught, recorded and notified; the champion keeps serving', async () => {
    const champion = await promoteFirstChampion();
    const record = await run({ maxModelAgeHours: 1e-9 }, { Epochs: 'many' });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('RetrainFailedError');
    expect(record.outcome).toBe('failed');
    expect(record.reasons?.[0]).toMatch(/TrainingJobFailedError.*epochs/);
    expect(record.states.slice(-3)).toEqual(['RecordFailure', 'NotifyFailure', 'RunFailed']);
    expect(await world.store.get(`notifications/${record.runId}.json`)).toBeDefined();
    expect(await servingVersion()).toBe(champion);
  });

  it('a canary whose model raises errors is rolled back and recorded; the champion keeps serving', async () => {
    // Prepare: the challenger's artifact is a real model that fails every prediction.
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    world.tamperModel = async (request) => {
      const container = request.PrimaryContainer as { ModelDataUrl: string };
      const key = container.ModelDataUrl.replace('s3://smogcast-lake/', '');
      const entries = (await unpackTarGz((await world.store.get(key)) as Uint8Array)).map((e) => {
        if (e.path !== 'model.json') return e;
        const model = JSON.parse(decodeText(e.data));
        return {
          ...e,
          data: encodeText(JSON.stringify({ ...model, faultInjection: { errorRate: 1 } })),
        };
      });
      await world.store.put(`${key}.faulty`, await packTarGz(entries));
      return world.sagemaker.createModel({
        ...request,
        PrimaryContainer: { ...container, ModelDataUrl: `${container.ModelDataUrl}.faulty` },
      });
    };
    // Act
    const { result: record, answers } = await trafficDuring(
      run({ maxModelAgeHours: 1e-9, promotionMargin: -1 }),
    );
    // Assess
    expect(record.outcome, record.reasons?.join('; ')).toBe('rolled-back');
    expect(record.error).toBe('DeploymentRolledBackError');
    expect(record.states).toContain('RecordRolledBack');
    expect(answers.failed).toBeGreaterThan(0);
    expect(await registry(record.version as string)).toMatchObject({ outcome: 'rolled-back' });
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
    const after = await trafficDuring(Promise.resolve());
    expect(after.answers.failed).toBe(0);
  });

  it('an endpoint that silently keeps its old config is detected as a rollback', async () => {
    // Prepare: the new model's artifact does not exist, so the new fleet never comes up.
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    world.tamperModel = async (request) => {
      const container = request.PrimaryContainer as { ModelDataUrl: string };
      return world.sagemaker.createModel({
        ...request,
        PrimaryContainer: { ...container, ModelDataUrl: `${container.ModelDataUrl}.missing` },
      });
    };
    // Act
    const record = await run({
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
      strategy: 'all-at-once',
    });
    // Assess
    expect(record.outcome, record.cause).toBe('rolled-back');
    expect(record.states).toContain('EndpointReady?');
    expect(record.states).toContain('RecordRolledBack');
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
  });

  it('A/B: the challenger serves beside the champion, rounds move the weights, the winner takes over', async () => {
    // Prepare: a champion promoted on drifted data, then a challenger that enters an A/B test
    // (any challenger within the margin).
    await promoteFirstChampion();
    await publishDrift();
    const champion = (await run({ promotionMargin: -1 })).version;
    expect(await servingVersion()).toBe(champion);
    const started = await run({ strategy: 'ab', maxModelAgeHours: 1e-9, promotionMargin: -1 });
    expect(started.outcome, started.reasons?.join('; ')).toBe('ab-testing');
    expect(started.states).toContain('CreateEndpointConfigAB');
    // SageMaker refuses a blue/green update that renames variants: a plain update switches.
    expect(started.states).toContain('UpdateEndpointVariants');
    expect(started.states).not.toContain('UpdateEndpointAllAtOnce');
    const challenger = started.version as string;
    const described = await world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT });
    expect(
      (described.ProductionVariants as Array<{ VariantName: string }>)
        .map((v) => v.VariantName)
        .sort(),
    ).toEqual(['challenger', 'champion']);
    const card = JSON.parse(decodeText((await world.store.get(SERVING_CARD_KEY)) as Uint8Array));
    expect(card).toMatchObject({
      version: champion,
      abTest: { challengerWeight: 0.5, challenger: { version: challenger } },
    });
    expect(await registry(challenger)).toMatchObject({ outcome: 'ab-testing' });

    // Act: two rounds, each after twelve new hours neither model was trained on.
    world.clock += 12 * HOUR;
    await publish(12);
    const round = await run({ strategy: 'ab', promotionMargin: -1 });
    world.clock += 12 * HOUR;
    await publish(12);
    const last = await run({ strategy: 'ab', promotionMargin: -1 });

    // Assess: the round moved the weights toward the better variant; the last one concluded.
    expect(round.outcome, round.reasons?.join('; ')).toBe('ab-testing');
    expect(round.states).toContain('UpdateABWeights');
    expect(round.reasons?.[0]).toMatch(/^A\/B: weights → challenger 0.75/);
    expect(last.outcome, last.reasons?.join('; ')).toBe('promoted');
    expect(last.states).toEqual(
      expect.arrayContaining([
        'CreateEndpointConfigFinal',
        'UpdateEndpointVariants',
        'RecordABChallengerWins',
      ]),
    );
    expect(last.states).not.toContain('UpdateEndpointAllAtOnce');
    expect(await servingVersion()).toBe(challenger);
    const after = JSON.parse(decodeText((await world.store.get(SERVING_CARD_KEY)) as Uint8Array));
    expect(after.abTest).toBeUndefined();
    expect(await endpointConfig()).toMatch(/-final-/);
    expect(await registry(challenger)).toMatchObject({ outcome: 'promoted' });
  });

  /** Removes every run's category maps: record-run can then not write a serving card. */
  const loseCategoryMaps = async () => {
    for (const key of await world.store.list('deepar/')) {
      if (key.endsWith('/categories.json')) await world.store.delete(key);
    }
  };

  it('a failure recording a promotion puts the endpoint back on the champion', async () => {
    // Prepare: the category maps vanish once the challenger's model exists, so RecordPromoted
    // fails after the endpoint has switched to the challenger.
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    world.tamperModel = async (request) => {
      await loseCategoryMaps();
      return world.sagemaker.createModel(request);
    };
    // Act
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1 });
    await world.sagemaker.settled();
    // Assess: the serving pointer and the endpoint name the same (old) model.
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.reasons?.[0]).toMatch(/^MissingCategoriesError/);
    expect(record.states).toEqual(
      expect.arrayContaining([
        'UpdateEndpointCanary',
        'RecordPromoted',
        'RestorePreviousEndpoint',
        'RecordFailure',
      ]),
    );
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
    expect(await registry(record.version as string)).toMatchObject({ outcome: 'failed' });
  });

  it('a failure after the registry entry leaves the serving card, and so the endpoint, on the champion', async () => {
    // Prepare: RecordPromoted's run summary cannot be written (its first put under runs/).
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    let puts = 0;
    world.failRecordPut = (key) => key.startsWith('runs/') && puts++ === 0;
    // Act
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1 });
    world.failRecordPut = undefined;
    await world.sagemaker.settled();
    // Assess: the card is written last, so it still names the champion the endpoint is back on.
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining(['RecordPromoted', 'RestorePreviousEndpoint', 'RecordFailure']),
    );
    expect(record.reasons).toEqual([
      expect.stringContaining('injected: put runs/'),
      `the endpoint was put back on ${config}`,
    ]);
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
  });

  it('a failure recording an A/B start puts the endpoint back on the champion alone', async () => {
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    world.tamperModel = async (request) => {
      await loseCategoryMaps();
      return world.sagemaker.createModel(request);
    };
    const record = await run({ strategy: 'ab', maxModelAgeHours: 1e-9, promotionMargin: -1 });
    await world.sagemaker.settled();
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining([
        'UpdateEndpointVariants',
        'RecordABStarted',
        'RestorePreviousEndpoint',
        'RecordFailure',
      ]),
    );
    const described = await world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT });
    expect(described.EndpointConfigName).toBe(config);
    expect(described.ProductionVariants?.map((v) => v.VariantName)).toEqual(['primary']);
    const card = JSON.parse(decodeText((await world.store.get(SERVING_CARD_KEY)) as Uint8Array));
    expect(card.version).toBe(champion);
    expect(card.abTest).toBeUndefined();
  });

  it('a failure recording an A/B conclusion puts back the A/B config with the weights serving.json names', async () => {
    // Prepare: an A/B test one round in (weights moved to 0.25/0.75), then the concluding run
    // cannot write the challenger's registry entry, after the endpoint switched to the winner.
    await promoteFirstChampion();
    await publishDrift();
    await run({ promotionMargin: -1 });
    const started = await run({ strategy: 'ab', maxModelAgeHours: 1e-9, promotionMargin: -1 });
    expect(started.outcome, started.reasons?.join('; ')).toBe('ab-testing');
    const challenger = started.version as string;
    world.clock += 12 * HOUR;
    await publish(12);
    const round = await run({ strategy: 'ab', promotionMargin: -1 });
    expect(round.states).toContain('UpdateABWeights');
    await world.sagemaker.settled();
    const abConfig = await endpointConfig();
    const card = decodeText((await world.store.get(SERVING_CARD_KEY)) as Uint8Array);
    expect(JSON.parse(card)).toMatchObject({ abTest: { challengerWeight: 0.75 } });
    world.clock += 12 * HOUR;
    await publish(12);
    world.failRecordPut = (key) => key === `models/registry/${challenger}.json`;
    // Act
    const last = await run({ strategy: 'ab', promotionMargin: -1 });
    world.failRecordPut = undefined;
    await world.sagemaker.settled();
    // Assess: the endpoint is back on exactly what the unchanged serving card names.
    expect(last.outcome, last.cause).toBe('failed');
    expect(last.states).toEqual(
      expect.arrayContaining([
        'CreateEndpointConfigFinal',
        'UpdateEndpointVariants',
        'RecordABChallengerWins',
        'RestorePreviousEndpoint',
        'RestoreABWeights',
        'RecordFailure',
      ]),
    );
    expect(last.reasons?.[1]).toBe(
      `the endpoint was put back on ${abConfig} with the weights models/serving.json names (champion 0.25, challenger 0.75)`,
    );
    expect(decodeText((await world.store.get(SERVING_CARD_KEY)) as Uint8Array)).toBe(card);
    const described = await world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT });
    expect(described.EndpointConfigName).toBe(abConfig);
    expect(
      described.ProductionVariants?.map((v) => [v.VariantName, v.CurrentWeight]).sort(),
    ).toEqual([
      ['challenger', 0.75],
      ['champion', 0.25],
    ]);
  });

  it.each([
    [
      'ValidationException',
      '1 validation error detected: Value at endpointName failed to satisfy constraint',
    ],
    ['AmazonSageMakerException', 'We encountered an internal error. Please try again.'],
  ])(
    'FindEndpoint: %s other than "Could not find endpoint" fails the run, creates nothing',
    async (name, message) => {
      const champion = await promoteFirstChampion();
      const config = await endpointConfig();
      world.tamperDescribe = async () => {
        throw Object.assign(new Error(message), { name });
      };
      const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1 });
      world.tamperDescribe = undefined;
      expect(record.outcome, record.cause).toBe('failed');
      expect(record.reasons?.[0]).toBe(`SageMaker.${name}: ${message}`);
      expect(record.states).toContain('FindEndpoint');
      expect(record.states).not.toContain('CreateEndpoint');
      expect(await servingVersion()).toBe(champion);
      expect(await endpointConfig()).toBe(config);
    },
  );

  /**
   * The challenger's fleet cannot load until released: the endpoint really is Updating. The
   * release comes at the `releaseAt`-th describeEndpoint (counting FindEndpoint's as the first),
   * or never during the run. `answer` may change what the `call`-th describeEndpoint reports.
   */
  const holdDeploymentUntil = (
    releaseAt: number | undefined,
    answer: (call: number, real: () => Promise<Record<string, unknown>>) => unknown = (_, real) =>
      real(),
  ) => {
    let release = () => {};
    world.tamperModel = async (request) => {
      release = world.holdModelLoads();
      return world.sagemaker.createModel(request);
    };
    let calls = 0;
    world.tamperDescribe = async (real) => {
      calls++;
      if (calls === releaseAt) release();
      return answer(calls, real) as Promise<Record<string, unknown>>;
    };
    return () => release();
  };

  /** After the run: let any held deployment finish, then see where the endpoint ends. */
  const settleAfter = async (release: () => void) => {
    world.tamperDescribe = undefined;
    release();
    await world.sagemaker.settled();
  };

  it('the endpoint wait loop is bounded; a deployment still Updating then is waited out and the champion config restored', async () => {
    // Prepare: the new fleet is held (the endpoint stays Updating) through every poll of the
    // wait loop, and released once the restore path first looks at the endpoint.
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    const release = holdDeploymentUntil(WAIT_POLLS + 2);
    // Act
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1, bakeSeconds: 0 });
    await settleAfter(release);
    // Assess: the deployment finished after the bound, and the restore put the champion back.
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states.filter((s) => s === 'DescribeEndpoint')).toHaveLength(WAIT_POLLS);
    expect(record.states).toEqual(
      expect.arrayContaining([
        'EndpointWaitTimedOut',
        'DescribeBeforeRestore',
        'WaitBeforeRestore',
        'RestorePreviousEndpoint',
        'RecordFailure',
      ]),
    );
    expect(record.reasons).toEqual([
      expect.stringMatching(/^EndpointWaitTimeoutError: /),
      `the endpoint was put back on ${config}`,
    ]);
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
    expect(await registry(record.version as string)).toMatchObject({ outcome: 'failed' });
  });

  it('an endpoint reported OutOfService during its deployment is put back on the champion config', async () => {
    // Prepare: the first poll reports OutOfService while the new fleet is still held; the
    // restore path then finds the endpoint Updating, and the fleet is released.
    const champion = await promoteFirstChampion();
    const config = await endpointConfig();
    const release = holdDeploymentUntil(3, async (call, real) =>
      call === 2 ? { ...(await real()), EndpointStatus: 'OutOfService' } : real(),
    );
    // Act
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1, bakeSeconds: 0 });
    await settleAfter(release);
    // Assess
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining([
        'EndpointOutOfService',
        'WaitBeforeRestore',
        'RestorePreviousEndpoint',
        'RecordFailure',
      ]),
    );
    expect(record.reasons).toEqual([
      'EndpointOutOfServiceError: The endpoint reported OutOfService.',
      `the endpoint was put back on ${config}`,
    ]);
    expect(await servingVersion()).toBe(champion);
    expect(await endpointConfig()).toBe(config);
  });

  it('an endpoint reported Failed is recorded as not restorable: SageMaker allows only DeleteEndpoint', async () => {
    // Prepare: from the first poll on, the endpoint reports Failed.
    await promoteFirstChampion();
    const config = await endpointConfig();
    const release = holdDeploymentUntil(undefined, async (call, real) =>
      call >= 2 ? { ...(await real()), EndpointStatus: 'Failed' } : real(),
    );
    // Act
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1, bakeSeconds: 0 });
    await settleAfter(release);
    // Assess
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining(['EndpointFailed', 'DescribeBeforeRestore', 'RestoreBlocked']),
    );
    expect(record.states).not.toContain('RestorePreviousEndpoint');
    expect(record.reasons).toEqual([
      'DeploymentFailedError: The endpoint reported Failed.',
      `the endpoint could not be put back on ${config}: EndpointFailedError: The endpoint is Failed on ${config}: SageMaker allows only DeleteEndpoint on a Failed endpoint.`,
    ]);
  });

  it('an endpoint left Failed by an earlier run is deleted and created anew on the next', async () => {
    // Prepare: the first deploy points its model at an artifact that is not there, so the new
    // endpoint never comes up and stays Failed (SageMaker then allows only DeleteEndpoint).
    world.tamperModel = async (request) => {
      const container = request.PrimaryContainer as { ModelDataUrl: string };
      return world.sagemaker.createModel({
        ...request,
        PrimaryContainer: { ...container, ModelDataUrl: `${container.ModelDataUrl}.missing` },
      });
    };
    const first = await run();
    expect(first.outcome, first.cause).toBe('failed');
    expect(first.states).toEqual(expect.arrayContaining(['CreateEndpoint', 'EndpointFailed']));
    expect(
      (await world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT })).EndpointStatus,
    ).toBe('Failed');
    await expect(
      world.sagemaker.updateEndpoint({ EndpointName: ENDPOINT, EndpointConfigName: 'x' }),
    ).rejects.toThrow(/DeleteEndpoint is the only operation/);
    // Act
    const second = await run();
    // Assess: deleted, waited out, created on this run's config, promoted
    expect(second.outcome, `${second.states.join(' > ')} ${JSON.stringify(second.reasons)}`).toBe(
      'promoted',
    );
    expect(second.states).toEqual(
      expect.arrayContaining([
        'FindEndpoint',
        'DeleteFailedEndpoint',
        'DescribeDeletedEndpoint',
        'ForgetFailedEndpoint',
        'CreateEndpoint',
      ]),
    );
    expect(second.states).not.toContain('UpdateEndpointCanary');
    const version = second.version as string;
    expect(await servingVersion()).toBe(version);
    expect(await endpointConfig()).toBe(`smogcast-${version}`);
  });

  it('a deployment that never leaves Updating is recorded as not restored, within the restore bound', async () => {
    // Prepare: the new fleet is held for the whole run.
    await promoteFirstChampion();
    const config = await endpointConfig();
    const release = holdDeploymentUntil(undefined);
    // Act
    const record = await run({ maxModelAgeHours: 1e-9, promotionMargin: -1, bakeSeconds: 0 });
    await settleAfter(release);
    // Assess: UpdateEndpoint was never sent to an Updating endpoint (SageMaker rejects it).
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toContain('RestoreWaitTimedOut');
    expect(record.states).not.toContain('RestorePreviousEndpoint');
    expect(record.reasons?.[1]).toBe(
      `the endpoint could not be put back on ${config}: EndpointRestoreTimeoutError: The endpoint stayed Updating on ${config} beyond the restore wait bound.`,
    );
  });

  it('a run killed after its deployment, before recording it, is recorded as interrupted and the endpoint returns to the champion', async () => {
    // Prepare: a champion; then a run deploys a challenger, and the process "dies" before the
    // record step: the lake is put back as it was then (card, registry), the run still RUNNING.
    await promoteFirstChampion();
    const championCard = (await world.store.get(SERVING_CARD_KEY)) as Uint8Array;
    const championConfig = await endpointConfig();
    await publishDrift();
    const killed = await run({ promotionMargin: -1 });
    expect(killed.outcome, killed.cause).toBe('promoted');
    const reached = killed.states.slice(0, killed.states.indexOf('RecordPromoted'));
    await world.store.put(SERVING_CARD_KEY, championCard);
    await world.store.delete(`models/registry/${killed.version}.json`);
    await world.store.put(
      `runs/${killed.runId}.json`,
      JSON.stringify({
        runId: killed.runId,
        status: 'RUNNING',
        startedAt: killed.startedAt,
        states: [],
      }),
    );
    await world.store.put(
      `executions/${killed.runId}.json`,
      JSON.stringify({ ...killed, status: 'RUNNING', states: reached, outcome: undefined }),
    );
    expect(await endpointConfig()).not.toBe(championConfig);
    // Act: the next start's recovery
    const report = await retrainService(world).recover();
    // Assess
    expect(report.interrupted).toEqual([{ runId: killed.runId, reached: reached.at(-1) }]);
    expect(report.endpoint).toMatchObject({ kind: 'rollback', to: championConfig });
    expect(await endpointConfig()).toBe(championConfig);
    const recorded = JSON.parse(
      decodeText((await world.store.get(`runs/${killed.runId}.json`)) as Uint8Array),
    );
    expect(recorded).toMatchObject({ status: 'INTERRUPTED', outcome: 'failed', states: reached });
    expect(recorded.reasons[0]).toContain(`in state ${reached.at(-1)}`);
    // and a second start finds nothing left to do
    expect(await retrainService(world).recover()).toEqual({
      interrupted: [],
      endpoint: { kind: 'none' },
    });
  });

  it('every run is in runs/ from its start: RUNNING while under way, then its outcome', async () => {
    let seen: unknown;
    world.tamperDescribe = async (real) => {
      seen ??= JSON.parse(
        decodeText(
          (await world.store.get((await world.store.list('runs/'))[0] as string)) as Uint8Array,
        ),
      );
      return real();
    };
    await promoteFirstChampion();
    expect(seen).toMatchObject({ status: 'RUNNING', states: [] });
    const keys = await world.store.list('runs/');
    expect(keys).toHaveLength(1);
    expect(
      JSON.parse(decodeText((await world.store.get(keys[0] as string)) as Uint8Array)),
    ).toMatchObject({ outcome: 'promoted' });
  });
});
