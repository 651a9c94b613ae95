// The retrain definition at fleet scale: the champion's serving card names 10,000 devices (its
// DeepAR category map, as a 10,000-device fleet's training leaves it), far over Step Functions'
// 256 KiB payload quota, which the local twin enforces on every task result, state input and
// output. Each path that reads or rewrites the card — the engine canary (promoted, rolled back),
// an engine model replacing a DeepAR champion, the DeepAR endpoint canary and the A/B test, the
// drift check and the evaluation on each — must run from the real definition (IAM enforced)
// without fleet-sized data entering any state, and put the pointer back byte for byte.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyOfS3Uri } from '../../core/engine-artifact.js';
import { inCanary } from '../../core/engine-canary.js';
import { ModelCard, SERVING_CARD_KEY } from '../../core/model-card.js';
import { decodeText } from '../../core/text.js';
import { InProcessEngine } from '../../functions/common/adapters/in-process-engine.js';
import { updateContext } from '../../functions/update-context/update-context.js';
import type { ExecutionRecord } from '../../local/execution-record.js';
import type { LocalCaller } from '../../local/iam/callers.js';
import { LocalIam } from '../../local/iam/local-iam.js';
import { loadTemplate } from '../../local/iam/template.js';
import { PAYLOAD_LIMIT_BYTES } from '../../local/payload-limit.js';
import type { RetrainPolicy, RetrainService } from '../../local/retrain-service.js';
import {
  type CanaryWorld,
  forecastFor as forecastIn,
  openCanaryWorld,
  runAnHourOn,
  runCanary as runCanaryIn,
} from '../fixtures/canary-world.js';
import { syntheticDelivery } from '../fixtures/synthetic-delivery.js';

const HOUR = 3_600_000;
/** The devices that really report (and train); the fleet's others are only in the category map. */
const DEVICES = ['sim-001', 'sim-002', 'sim-003', 'sim-004', 'sim-005', 'sim-006'];
const FLEET = 10_000;
/** Ids of the rest of a 10,000-device fleet, as its things are named (sorted after sim-…). */
const FLEET_IDS = Array.from(
  { length: FLEET - DEVICES.length },
  (_, i) => `sim-station-cn-${String(i + 1).padStart(6, '0')}`,
);
const PERCENT = 50;
const ENDPOINT = 'smogcast';
const START = Date.parse('2026-11-20T00:00:00Z');
const LAYOUT = { shards: 1, historyShards: 2, contextHours: 336 };
const IAM = new LocalIam(loadTemplate());
/** Every run trains (the champion is never young enough to skip) and any challenger wins. */
const ALWAYS_TRAIN: Partial<RetrainPolicy> = { promotionMargin: -1, maxModelAgeHours: 1e-9 };
const ENGINE_CANARY: Partial<RetrainPolicy> = {
  ...ALWAYS_TRAIN,
  algorithm: 'smogcast',
  strategy: 'canary',
  engineCanaryPercent: PERCENT,
  bakeSeconds: 60,
};

let world: CanaryWorld;
let service: RetrainService;
const openWorld = () =>
  openCanaryWorld({ name: 'fleet-card', endpointName: ENDPOINT, iam: IAM, start: START });
const as = (caller: LocalCaller) => world.as(caller);
const retrainService = () => world.retrainService();

/** One delivery of every device's readings for `hours` hours ending at the clock (× `scale`). */
const publish = async (hours: number, scale = 1) => {
  const { key, body } = syntheticDelivery(DEVICES, world.clock, hours, scale);
  await world.store.put(key, body);
  await updateContext(
    { Records: [{ s3: { object: { key } } }] },
    { store: world.store, layout: LAYOUT, now: () => world.clock },
  );
};

const servingBytes = async () =>
  decodeText((await world.store.get(SERVING_CARD_KEY)) ?? new Uint8Array());
const servingCard = async () => ModelCard.parse(JSON.parse(await servingBytes()));

/** A category map of the whole fleet: the devices that trained first, in their indexes. */
const fleetCategories = (categories: ModelCard['categories']): ModelCard['categories'] => ({
  ...categories,
  devices: [...categories.devices, ...FLEET_IDS],
});

/**
 * The serving card as a 10,000-device fleet's champion (and A/B challenger) carries it: every
 * device in its category map. Returns the card's size.
 */
const toFleetScale = async (): Promise<number> => {
  const card = await servingCard();
  const fleet: ModelCard = {
    ...card,
    categories: fleetCategories(card.categories),
    ...(card.abTest
      ? {
          abTest: {
            ...card.abTest,
            challenger: {
              ...card.abTest.challenger,
              categories: fleetCategories(card.abTest.challenger.categories),
            },
          },
        }
      : {}),
  };
  // Written as record-run writes the card.
  const text = `${JSON.stringify(fleet, null, 2)}\n`;
  await world.store.put(SERVING_CARD_KEY, text);
  const bytes = Buffer.byteLength(text, 'utf8');
  expect(bytes).toBeGreaterThan(PAYLOAD_LIMIT_BYTES);
  return bytes;
};

const run = (...args: Parameters<RetrainService['run']>) => runAnHourOn(world, service, ...args);

/** A canary run: `during` runs while the canary bakes, then the bake's end comes. */
const runCanary = (
  during: () => Promise<void>,
  policy: Partial<RetrainPolicy> = ENGINE_CANARY,
  substitutions?: Record<string, string>,
) => runCanaryIn(world, service, during, policy, substitutions);

const forecastFor = (deviceId: string, engine: InProcessEngine) =>
  forecastIn(world, LAYOUT, ENDPOINT, deviceId, engine);

/** Two new days at three times the pollution: data drift for the champion. */
const publishDrift = async () => {
  world.clock += 48 * HOUR;
  await publish(48, 3);
};

/** A run that did not fail on the payload quota (with the error if it did). */
const expectWithinQuota = (record: ExecutionRecord) =>
  expect(record.error ?? '', record.cause).not.toBe('States.DataLimitExceeded');

beforeEach(async () => {
  world = await openWorld();
  service = retrainService();
  await publish(24 * 6);
});

afterEach(async () => {
  await world?.close();
});

describe('an engine champion of a 10,000-device fleet, replaced by canary', () => {
  let champion: string;
  beforeEach(async () => {
    const first = await run({ algorithm: 'smogcast', strategy: 'canary' });
    expect(first.outcome, first.cause).toBe('promoted');
    champion = first.version as string;
    await toFleetScale();
    world.clock += 48 * HOUR;
    await publish(48);
  });

  it('bakes the canary beside it and promotes it, the fleet map kept', async () => {
    // Act
    let baking: ModelCard | undefined;
    const record = await runCanary(async () => {
      baking = await servingCard();
    });

    // Assess: the canary baked beside the fleet-sized champion and then took every device.
    expectWithinQuota(record);
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toEqual(
      expect.arrayContaining(['CheckDrift', 'Evaluate', 'RecordEngineCanary', 'CheckCanary']),
    );
    expect(baking?.version).toBe(champion);
    expect(baking?.categories.devices).toHaveLength(FLEET);
    expect(baking?.canary?.percent).toBe(PERCENT);
    const card = await servingCard();
    expect(card.version).toBe(record.version);
    expect(card.canary).toBeUndefined();
  });

  it('rolls the canary back on its alarm with the fleet-sized pointer restored byte for byte', async () => {
    // Prepare
    const before = await servingBytes();
    const canaryDevice = DEVICES.find((d) => inCanary(d, PERCENT)) as string;

    // Act: the canary's model breaks; its devices' forecasts fail.
    const record = await runCanary(async () => {
      const card = await servingCard();
      await world.store.put(keyOfS3Uri(card.canary?.model.modelDataUrl as string), 'not a model');
      await expect(
        forecastFor(canaryDevice, new InProcessEngine(as('forecast'))),
      ).rejects.toThrow();
    });

    // Assess
    expectWithinQuota(record);
    expect(record.error, record.cause).toBe('DeploymentRolledBackError');
    expect(record.outcome).toBe('rolled-back');
    expect(record.states).toContain('RestoreServingPointer');
    expect(await servingBytes()).toBe(before);
    expect((await servingCard()).categories.devices).toHaveLength(FLEET);
  });

  it('trains both algorithms, evaluates both and bakes the winner as a canary', async () => {
    // Act: the engine wins (SageMaker refuses the DeepAR job's instance type).
    let baking: ModelCard | undefined;
    const record = await runCanary(
      async () => {
        baking = await servingCard();
      },
      { ...ENGINE_CANARY, algorithm: 'both' },
      { TrainingInstanceType: 'ml.none.large' },
    );

    // Assess
    expectWithinQuota(record);
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toEqual(
      expect.arrayContaining(['TrainBoth', 'EvaluateCandidates', 'TakeWinner', 'CheckCanary']),
    );
    expect(baking?.canary?.model.version).toBe(record.version);
  });
});

describe('a DeepAR champion of a 10,000-device fleet', () => {
  let champion: string;
  beforeEach(async () => {
    const first = await run({ algorithm: 'deepar', strategy: 'all-at-once', bakeSeconds: 0 });
    expect(first.outcome, first.cause).toBe('promoted');
    champion = first.version as string;
    await toFleetScale();
  });

  it('skips training when nothing drifted, with the fleet-sized card read by the drift check', async () => {
    // Act
    const record = await run({ algorithm: 'deepar' });
    // Assess
    expectWithinQuota(record);
    expect(record.outcome, record.cause).toBe('skipped');
    expect(record.states).toContain('CheckDrift');
    expect((await servingCard()).version).toBe(champion);
  });

  it('is replaced through an endpoint canary on drift', async () => {
    // Prepare
    await publishDrift();
    // Act
    const record = await run({ algorithm: 'deepar', strategy: 'canary', promotionMargin: -1 });
    // Assess
    expectWithinQuota(record);
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toEqual(
      expect.arrayContaining(['CheckDrift', 'Evaluate', 'UpdateEndpointCanary', 'RecordPromoted']),
    );
    expect((await servingCard()).version).toBe(record.version);
  });

  it('runs an A/B test beside it: started, a round, concluded', async () => {
    // Act: a challenger enters the A/B test; both sides then carry the fleet's map.
    const started = await run({ ...ALWAYS_TRAIN, algorithm: 'deepar', strategy: 'ab' });
    expectWithinQuota(started);
    expect(started.outcome, started.cause).toBe('ab-testing');
    await toFleetScale();
    world.clock += 12 * HOUR;
    await publish(12);
    const round = await run({ algorithm: 'deepar', strategy: 'ab', promotionMargin: -1 });
    world.clock += 12 * HOUR;
    await publish(12);
    const last = await run({ algorithm: 'deepar', strategy: 'ab', promotionMargin: -1 });

    // Assess
    expectWithinQuota(round);
    expect(round.outcome, round.cause).toBe('ab-testing');
    expect(round.states).toEqual(expect.arrayContaining(['ScoreABTest', 'UpdateABWeights']));
    expectWithinQuota(last);
    expect(last.outcome, last.cause).toBe('promoted');
    expect(last.states).toContain('RecordABChallengerWins');
    expect((await servingCard()).version).toBe(started.version);
  });

  it('is replaced by an engine model at once, its endpoint deleted', async () => {
    // Act
    const record = await run({ ...ALWAYS_TRAIN, algorithm: 'smogcast', strategy: 'canary' });
    // Assess
    expectWithinQuota(record);
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toEqual(
      expect.arrayContaining(['RecordEnginePromoted', 'DeleteReplacedEndpoint']),
    );
    expect(record.states).not.toContain('RecordEngineCanary');
    expect(record.states).not.toContain('BackUpServingPointer');
    expect(await servingCard()).toMatchObject({ version: record.version, algorithm: 'smogcast' });
  });
});
