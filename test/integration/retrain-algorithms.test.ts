// The retrain state machine with algorithm smogcast and both, run from the real definition on
// the local stand-ins (aws-local-stepfunctions, the local SageMaker control plane and endpoint,
// the real step handlers, IAM enforced per role): the engine trains in its Lambda step, is
// evaluated on the held-out window, recorded in the registry and served in process by the
// forecast core from its artifact, with no endpoint created for it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engineArtifactKey } from '../../core/engine-artifact.js';
import { ModelCard, RegistryEntry, RunSummary, SERVING_CARD_KEY } from '../../core/model-card.js';
import { decodeText } from '../../core/text.js';
import {
  IN_PROCESS_VARIANT,
  InProcessEngine,
} from '../../functions/common/adapters/in-process-engine.js';
import { updateContext } from '../../functions/update-context/update-context.js';
import { LocalIam } from '../../local/iam/local-iam.js';
import { loadTemplate } from '../../local/iam/template.js';
import type { RetrainService } from '../../local/retrain-service.js';
import {
  type CanaryWorld,
  forecastFor,
  openCanaryWorld,
  runAnHourOn,
} from '../fixtures/canary-world.js';
import { syntheticDelivery } from '../fixtures/synthetic-delivery.js';

const HOUR = 3_600_000;
const DEVICES = ['sim-001', 'sim-002'];
const ENDPOINT = 'smogcast';
const START = Date.parse('2026-11-20T00:00:00Z');
const LAYOUT = { shards: 1, historyShards: 2, contextHours: 336 };
const IAM = new LocalIam(loadTemplate());

let world: CanaryWorld;
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

const run = (...args: Parameters<RetrainService['run']>) => runAnHourOn(world, service, ...args);

/** GET /forecast's core, as the forecast Lambda runs it: its role's lake, the engine in process. */
const forecastAs = (engine: InProcessEngine) =>
  forecastFor(world, LAYOUT, ENDPOINT, 'sim-001', engine);

beforeEach(async () => {
  world = await openCanaryWorld({
    name: 'algorithms',
    endpointName: ENDPOINT,
    iam: IAM,
    start: START,
  });
  service = world.retrainService();
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
    const engine = new InProcessEngine(world.as('forecast'));
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
    const served = await forecastAs(new InProcessEngine(world.as('forecast')));
    expect(served.model.version).toBe(version);
    expect(served.model.variant).toBe(winner === 'smogcast' ? IN_PROCESS_VARIANT : 'primary');
  });
});
