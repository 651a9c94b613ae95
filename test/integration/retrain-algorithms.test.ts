// The retrain state machine with algorithm smogcast and both, run from the real definition on
// the local stand-ins (aws-local-stepfunctions, the local SageMaker control plane and endpoint,
// the real step handlers, IAM enforced per role): the engine trains in its Lambda step, is
// evaluated on the held-out window, recorded in the registry and served in process by the
// forecast core from its artifact, with no endpoint created for it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineArtifactKey } from '../../core/engine-artifact.js';
import { ModelCard, RegistryEntry, RunSummary, SERVING_CARD_KEY } from '../../core/model-card.js';
import { decodeText } from '../../core/text.js';
import {
  IN_PROCESS_VARIANT,
  InProcessEngine,
} from '../../functions/common/adapters/in-process-engine.js';
import { MemoryObjectStore } from '../../functions/common/adapters/memory-object-store.js';
import { SageMakerEndpoint } from '../../functions/common/adapters/sagemaker-endpoint.js';
import { createContextReader } from '../../functions/common/context-reader.js';
import { LOCAL_S3_CREDENTIALS } from '../../functions/common/deps.js';
import { cachedModelCard } from '../../functions/common/model-card-source.js';
import { forecast } from '../../functions/forecast/forecast.js';
import { updateContext } from '../../functions/update-context/update-context.js';
import type { ExecutionRecord } from '../../local/execution-record.js';
import { AuthorizedObjectStore } from '../../local/iam/authorized-store.js';
import { LocalIam } from '../../local/iam/local-iam.js';
import { loadTemplate } from '../../local/iam/template.js';
import {
  createRetrainService,
  LOCAL_ROLLBACK_ALARMS,
  type RetrainService,
} from '../../local/retrain-service.js';
import { LocalSageMaker } from '../../local/sagemaker/control-plane/local-sagemaker.js';
import { localControlPlane } from '../fixtures/local-control-plane.js';
import { fastRetrainSettings } from '../fixtures/retrain-settings.js';
import { syntheticDelivery } from '../fixtures/synthetic-delivery.js';

const HOUR = 3_600_000;
const DEVICES = ['sim-001', 'sim-002'];
const ENDPOINT = 'smogcast';
const START = Date.parse('2026-11-20T00:00:00Z');
const LAYOUT = { shards: 1, historyShards: 2, contextHours: 336 };
const IAM = new LocalIam(loadTemplate());

interface World {
  store: MemoryObjectStore;
  sagemaker: LocalSageMaker;
  endpoint: SageMakerEndpoint;
  clock: number;
  close(): Promise<void>;
}

const openWorld = async (): Promise<World> => {
  const workDir = await mkdtemp(join(tmpdir(), 'smogcast-algorithms-'));
  const store = new MemoryObjectStore('smogcast-lake');
  const sagemaker = await LocalSageMaker.open({
    store: new AuthorizedObjectStore(store, IAM, 'sagemaker'),
    workDir,
    log: () => undefined,
    alarms: {
      [LOCAL_ROLLBACK_ALARMS.errors]: { metric: 'Invocation5XXErrors', threshold: 0 },
      [LOCAL_ROLLBACK_ALARMS.latency]: { metric: 'ModelLatency', threshold: 5_000_000 },
    },
    timeScale: 0.02,
  });
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
    close: async () => {
      await server.close();
      await sagemaker.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
};

const retrainService = (world: World): RetrainService => {
  const { sagemaker } = world;
  return createRetrainService({
    store: world.store,
    storeOf: (caller) => new AuthorizedObjectStore(world.store, IAM, caller),
    iam: IAM,
    sagemaker: localControlPlane(sagemaker),
    endpoint: world.endpoint,
    modelCard: cachedModelCard(world.store, 0),
    ...fastRetrainSettings(() => world.clock),
  });
};

let world: World;
let service: RetrainService;

/** Hourly readings of every device for `hours` hours ending at the clock, into raw/ and context/. */
const publish = async (hours: number, scale = 1) => {
  const { key, body } = syntheticDelivery(DEVICES, world.clock, hours, scale);
  await world.store.put(key, body);
  await updateContext(
    { Records: [{ s3: { object: { key } } }] },
    { store: world.store, layout: LAYOUT, now: () => world.clock },
  );
};

const read = async (key: string): Promise<unknown> => {
  const bytes = await world.store.get(key);
  return bytes ? JSON.parse(decodeText(bytes)) : undefined;
};
const servingCard = async () => ModelCard.parse(await read(SERVING_CARD_KEY));
const registry = async (version: string) =>
  RegistryEntry.parse(await read(`models/registry/${version}.json`));
const endpointExists = async () =>
  world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT }).then(
    () => true,
    () => false,
  );

const run = async (...args: Parameters<RetrainService['run']>): Promise<ExecutionRecord> => {
  world.clock += HOUR;
  return service.run(...args);
};

/** GET /forecast's core, as the forecast Lambda runs it: its role's lake, the engine in process. */
const forecastAs = (engine: InProcessEngine) =>
  forecast(
    { deviceId: 'sim-001', metric: 'pm25', horizon: 24, quantiles: [0.1, 0.5, 0.9] },
    {
      contexts: createContextReader(
        new AuthorizedObjectStore(world.store, IAM, 'forecast'),
        LAYOUT,
        { now: () => world.clock },
      ),
      endpoint: world.endpoint,
      engine,
      predictionLength: 24,
      modelCard: cachedModelCard(new AuthorizedObjectStore(world.store, IAM, 'forecast'), 0),
      now: () => world.clock,
    },
  );

beforeEach(async () => {
  world = await openWorld();
  service = retrainService(world);
  await publish(24 * 6);
});

afterEach(async () => {
  await world?.close();
});

describe('retrain with algorithm smogcast', () => {
  it('trains the engine in its Lambda step, promotes it and serves it in process, with no endpoint', async () => {
    // Act
    const record = await run({ algorithm: 'smogcast' });

    // Assess: the engine path, not SageMaker's.
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toContain('TrainEngine');
    expect(record.states).toContain('RecordEnginePromoted');
    expect(record.states).not.toContain('Train');
    expect(record.states).not.toContain('CreateModel');
    expect(await endpointExists()).toBe(false);
    const version = record.version as string;
    const card = await servingCard();
    expect(card).toMatchObject({
      version,
      algorithm: 'smogcast',
      trainingJobName: `smogcast-engine-${version}`,
      modelDataUrl: `s3://smogcast-lake/${engineArtifactKey(version)}`,
      variant: IN_PROCESS_VARIANT,
      endpointConfigName: '',
    });
    expect(card.metrics['test:mean_wQuantileLoss']).toBeGreaterThan(0);
    expect(await world.store.get(engineArtifactKey(version))).toBeDefined();
    expect(await registry(version)).toMatchObject({
      algorithm: 'smogcast',
      outcome: 'promoted',
      deployment: { strategy: 'in-process', endpointConfigName: null },
    });

    // Assess: GET /forecast's core answers from the artifact, loaded once per version.
    const engine = new InProcessEngine(new AuthorizedObjectStore(world.store, IAM, 'forecast'));
    const first = await forecastAs(engine);
    expect(first.model).toEqual({ version, variant: IN_PROCESS_VARIANT });
    expect(first.mean).toHaveLength(24);
    expect(first.quantiles['0.1']?.every((v, h) => v <= (first.quantiles['0.9']?.[h] ?? v))).toBe(
      true,
    );
    await forecastAs(engine);
    expect(engine.cachedVersions()).toEqual([version]);
  });

  it('scores an engine champion in process, so the next run can replace it', async () => {
    // Prepare
    const champion = (await run({ algorithm: 'smogcast' })).version as string;
    world.clock += 48 * HOUR;
    await publish(48, 3);

    // Act
    const record = await run({
      algorithm: 'smogcast',
      promotionMargin: -1,
      strategy: 'all-at-once',
    });

    // Assess: check-drift measured the champion through the engine (no endpoint exists).
    expect(record.outcome, record.cause).toBe('promoted');
    const summary = RunSummary.parse(await read(`runs/${record.runId}.json`));
    expect(summary.drift?.championVersion).toBe(champion);
    expect(summary.drift?.championRecentWql).toBeTypeOf('number');
    expect((await servingCard()).version).toBe(record.version);
    expect(await endpointExists()).toBe(false);
  });
});

describe('retrain with algorithm both', () => {
  it('trains both, deploys the better on the held-out window its own way, and records why', async () => {
    // Act
    const record = await run({ algorithm: 'both' });

    // Assess: both trained in one run, both scored, the winner named with both scores.
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toEqual(
      expect.arrayContaining([
        'TrainBoth',
        'TrainDeepArCandidate',
        'TrainEngineCandidate',
        'EvaluateCandidates',
      ]),
    );
    const version = record.version as string;
    const entry = await registry(version);
    const candidates = entry.evaluation?.candidates ?? [];
    expect(candidates.map((c) => c.algorithm).sort()).toEqual(['deepar', 'smogcast']);
    for (const c of candidates) expect(c.wql).toBeTypeOf('number');
    const [deepar, engine] = ['deepar', 'smogcast'].map(
      (a) => candidates.find((c) => c.algorithm === a)?.wql as number,
    ) as [number, number];
    const winner = engine <= deepar ? 'smogcast' : 'deepar';
    expect(entry.algorithm).toBe(winner);
    expect(entry.reason).toContain(`${winner} challenges`);
    expect(entry.reason).toMatch(
      /deepar wQL [\d.]+ vs smogcast wQL [\d.]+|smogcast wQL [\d.]+ vs deepar wQL [\d.]+/,
    );

    // Assess: the winner serves the way its algorithm is served.
    const card = await servingCard();
    expect(card).toMatchObject({ version, algorithm: winner });
    expect(await endpointExists()).toBe(winner === 'deepar');
    const served = await forecastAs(
      new InProcessEngine(new AuthorizedObjectStore(world.store, IAM, 'forecast')),
    );
    expect(served.model.version).toBe(version);
    expect(served.model.variant).toBe(winner === 'smogcast' ? IN_PROCESS_VARIANT : 'primary');
  });
});
