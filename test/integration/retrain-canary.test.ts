// The engine's rollout, run from the real definition on the local stand-ins (aws-local-stepfunctions,
// the local SageMaker, the real step handlers, IAM enforced per role from the template): an engine
// model replacing an engine champion bakes as a canary on a share of devices (by stable device
// hash), is checked against its forecast-error alarm and its realised loss (paired: the canary's
// sampled forecasts against the champion's shadows of the same requests), then takes every
// device or is rolled back with the pointer put back byte for byte; an engine model replacing a
// DeepAR champion deletes the endpoint; a TrainBoth branch that fails leaves the other to win.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyOfS3Uri } from '../../core/engine-artifact.js';
import { CANARY_VARIANT, inCanary } from '../../core/engine-canary.js';
import { ModelCard, RegistryEntry, SERVING_CARD_KEY } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import {
  addSums,
  emptySums,
  type FleetDay,
  type FleetRow,
  fleetDayKey,
  scoresOf,
} from '../../core/realised-accuracy.js';
import { decodeText } from '../../core/text.js';
import {
  IN_PROCESS_VARIANT,
  InProcessEngine,
} from '../../functions/common/adapters/in-process-engine.js';
import { createContextReader } from '../../functions/common/context-reader.js';
import { cachedModelCard } from '../../functions/common/model-card-source.js';
import { scoreServed } from '../../functions/common/score-served.js';
import { makeHandler as makeForecastHandler } from '../../functions/forecast/handler.js';
import { createServedSampler } from '../../functions/forecast/served-sampler.js';
import { updateContext } from '../../functions/update-context/update-context.js';
import type { LocalCaller } from '../../local/iam/callers.js';
import { LocalIam } from '../../local/iam/local-iam.js';
import { loadTemplate } from '../../local/iam/template.js';
import {
  LOCAL_CANARY_ALARM,
  type RetrainPolicy,
  type RetrainService,
} from '../../local/retrain-service.js';
import { biasedEngineArtifact } from '../fixtures/biased-engine-artifact.js';
import {
  type CanaryWorld,
  forecastFor as forecastIn,
  openCanaryWorld,
  runAnHourOn,
  runCanary as runCanaryIn,
} from '../fixtures/canary-world.js';
import { syntheticDelivery } from '../fixtures/synthetic-delivery.js';

const HOUR = 3_600_000;
const DEVICES = ['sim-001', 'sim-002', 'sim-003', 'sim-004', 'sim-005', 'sim-006'];
const PERCENT = 50;
const ENDPOINT = 'smogcast';
const START = Date.parse('2026-11-20T00:00:00Z');
const LAYOUT = { shards: 1, historyShards: 2, contextHours: 336 };
const IAM = new LocalIam(loadTemplate());
/** An engine model replacing an engine champion, as a canary on half the devices. */
const CANARY: Partial<RetrainPolicy> = {
  algorithm: 'smogcast',
  strategy: 'canary',
  engineCanaryPercent: PERCENT,
  bakeSeconds: 60,
  promotionMargin: -1,
  // Every run trains (the champion is never young enough to skip).
  maxModelAgeHours: 1e-9,
};

let world: CanaryWorld;
let service: RetrainService;
const openWorld = () =>
  openCanaryWorld({ name: 'canary', endpointName: ENDPOINT, iam: IAM, start: START });
const as = (caller: LocalCaller) => world.as(caller);
const retrainService = () => world.retrainService();

/**
 * One delivery of readings for `hours` hours ending at the lake's clock, into raw/ and context/:
 * every device, or each group of devices with its own pollution scale.
 */
const publish = async (hours: number, groups: Array<[string[], number]> = [[DEVICES, 1]]) => {
  const deliveries = groups.map(([devices, scale]) =>
    syntheticDelivery(devices, world.clock, hours, scale),
  );
  const key = deliveries[0]?.key as string;
  await world.store.put(key, deliveries.map((d) => d.body).join(''));
  await updateContext(
    { Records: [{ s3: { object: { key } } }] },
    { store: world.store, layout: LAYOUT, now: () => world.clock },
  );
};

const read = async (key: string): Promise<unknown> => {
  const bytes = await world.store.get(key);
  return bytes ? JSON.parse(decodeText(bytes)) : undefined;
};
const servingBytes = async () =>
  decodeText((await world.store.get(SERVING_CARD_KEY)) ?? new Uint8Array());
const servingCard = async () => ModelCard.parse(await read(SERVING_CARD_KEY));
const registry = async (version: string) =>
  RegistryEntry.parse(await read(`models/registry/${version}.json`));
const endpointExists = async () =>
  world.sagemaker.describeEndpoint({ EndpointName: ENDPOINT }).then(
    () => true,
    () => false,
  );

const run = (...args: Parameters<RetrainService['run']>) => runAnHourOn(world, service, ...args);

/** A canary run: `during` runs while the canary bakes, then the bake's end comes. */
const runCanary = (
  during: () => Promise<void>,
  policy: Partial<RetrainPolicy> = CANARY,
  substitutions?: Record<string, string>,
) => runCanaryIn(world, service, during, policy, substitutions);

const forecastFor = (deviceId: string, engine: InProcessEngine) =>
  forecastIn(world, LAYOUT, ENDPOINT, deviceId, engine);

const canaryDevices = DEVICES.filter((d) => inCanary(d, PERCENT));
const championDevices = DEVICES.filter((d) => !inCanary(d, PERCENT));

beforeEach(async () => {
  world = await openWorld();
  service = retrainService();
  await publish(24 * 6);
});

afterEach(async () => {
  await world?.close();
});

describe('an engine model replacing an engine champion (canary strategy)', () => {
  let champion: string;
  beforeEach(async () => {
    // Both sides of the stable hash hold devices at this percent.
    expect(canaryDevices.length).toBeGreaterThan(0);
    expect(championDevices.length).toBeGreaterThan(0);
    const first = await run({ algorithm: 'smogcast', strategy: 'canary' });
    expect(first.outcome, first.cause).toBe('promoted');
    // No champion yet: the first engine model is promoted at once, no canary.
    expect(first.states).not.toContain('RecordEngineCanary');
    champion = first.version as string;
    world.clock += 48 * HOUR;
    await publish(48);
  });

  it('serves each device by its hash while the canary bakes, then promotes it to every device', async () => {
    // Prepare
    const served = new Map<string, { version: string; variant: string }>();
    let canary = '';

    // Act
    const record = await runCanary(async () => {
      const card = await servingCard();
      expect(card.version).toBe(champion);
      expect(card.canary).toMatchObject({ percent: PERCENT });
      canary = card.canary?.model.version as string;
      const engine = new InProcessEngine(as('forecast'));
      for (const deviceId of DEVICES)
        served.set(deviceId, (await forecastFor(deviceId, engine)).model);
    });

    // Assess: during the canary, the device's hash chose the version that answered.
    for (const deviceId of canaryDevices) {
      expect(served.get(deviceId), deviceId).toEqual({ version: canary, variant: CANARY_VARIANT });
    }
    for (const deviceId of championDevices) {
      expect(served.get(deviceId), deviceId).toEqual({
        version: champion,
        variant: IN_PROCESS_VARIANT,
      });
    }

    // Assess: baked with no alarm, then every device on the new version.
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.version).toBe(canary);
    expect(record.states).toEqual(
      expect.arrayContaining([
        'BackUpServingPointer',
        'RecordEngineCanary',
        'BakeEngineCanary',
        'DescribeCanaryAlarms',
        'CheckCanary',
        'RecordCanaryPromoted',
      ]),
    );
    const card = await servingCard();
    expect(card.version).toBe(canary);
    expect(card.canary).toBeUndefined();
    const entry = await registry(canary);
    expect(entry).toMatchObject({
      outcome: 'promoted',
      deployment: { strategy: 'in-process-canary', endpointConfigName: null },
    });
    expect(entry.reason).toContain(`canary ${canary} baked 60 s with no alarm`);
    expect(entry.reason).toContain('realised loss not compared');
    const after = await forecastFor(
      canaryDevices[0] as string,
      new InProcessEngine(as('forecast')),
    );
    expect(after.model).toEqual({ version: canary, variant: IN_PROCESS_VARIANT });
  });

  it("rolls back on the canary's forecast-error alarm, the pointer restored byte for byte", async () => {
    // Prepare
    const before = await servingBytes();
    let canary = '';

    // Act: the canary's model breaks; its devices' forecasts fail, the champion's do not.
    const record = await runCanary(async () => {
      const card = await servingCard();
      canary = card.canary?.model.version as string;
      await world.store.put(keyOfS3Uri(card.canary?.model.modelDataUrl as string), 'not a model');
      const engine = new InProcessEngine(as('forecast'));
      const kept = await forecastFor(championDevices[0] as string, engine);
      expect(kept.model.version).toBe(champion);
      await expect(forecastFor(canaryDevices[0] as string, engine)).rejects.toThrow();
    });

    // Assess: the run fails as an endpoint rollback does, and says why.
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('DeploymentRolledBackError');
    expect(record.outcome).toBe('rolled-back');
    expect(record.states.slice(-4)).toEqual([
      'RestoreServingPointer',
      'RecordCanaryRolledBack',
      'NotifyCanaryRolledBack',
      'CanaryRolledBack',
    ]);
    expect(record.states).not.toContain('RecordCanaryPromoted');
    expect(await servingBytes()).toBe(before);
    // The run's own backup, the one it copied back.
    const backup = await world.store.get(`models/serving.backup/${record.runId}.json`);
    expect(decodeText(backup ?? new Uint8Array())).toBe(before);
    const entry = await registry(canary);
    expect(entry.outcome).toBe('rolled-back');
    expect(entry.reason).toContain(`alarm ${LOCAL_CANARY_ALARM} is in ALARM`);
    expect(entry.reason).toContain(`back on champion ${champion}`);
    const notice = (await read(`notifications/${record.runId}.json`)) as {
      Subject: string;
      Message: string;
    };
    expect(notice.Subject).toBe('smogcast: engine canary rolled back');
    expect(notice.Message).toContain(`Champion ${champion} serves every device again`);
    const back = await forecastFor(canaryDevices[0] as string, new InProcessEngine(as('forecast')));
    expect(back.model).toEqual({ version: champion, variant: IN_PROCESS_VARIANT });
  });

  /**
   * A retrain service in which an overlapping run rewrites the pointer (a promotion of its own,
   * as record-run's role) the first time `caller` reads through `method`, after this run's
   * check-drift read it. Resolves the bytes that run wrote (empty until it wrote them).
   */
  const withOverlappingWriter = (caller: LocalCaller, method: 'get' | 'getVersioned') => {
    const written = { bytes: '' };
    const rewrite = async () => {
      if (written.bytes) return;
      const card = await servingCard();
      written.bytes = `${JSON.stringify({ ...card, deployedAt: new Date(world.clock).toISOString() }, null, 2)}\n`;
      await as('record-run').put(SERVING_CARD_KEY, written.bytes, 'application/json');
    };
    const interleaved = (store: ObjectStore): ObjectStore =>
      Object.assign(Object.create(store) as ObjectStore, {
        [method]: async (key: string) => {
          await rewrite();
          return (store[method] as (k: string) => Promise<unknown>).call(store, key);
        },
      });
    service = world.retrainService((c) => (c === caller ? interleaved(as(c)) : as(c)));
    return written;
  };

  it('fails cleanly, the champion untouched, when another run changed the pointer after check-drift read it', async () => {
    // Prepare: the other run writes while this run evaluates its model, before its backup.
    const overlapping = withOverlappingWriter('evaluate', 'get');

    // Act
    const record = await run(CANARY);

    // Assess: no canary; the run failed saying why; the pointer is the overlapping run's.
    expect(overlapping.bytes).not.toBe('');
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toContain('BackUpServingPointer');
    expect(record.states).toContain('ServingPointerChanged');
    expect(record.states).not.toContain('RecordEngineCanary');
    expect(record.reasons?.[0]).toContain(
      'ServingPointerChangedError: the serving pointer changed after check-drift read it',
    );
    expect(await servingBytes()).toBe(overlapping.bytes);
    expect(await world.store.get(`models/serving.backup/${record.runId}.json`)).toBeUndefined();
    const entry = await registry(record.version as string);
    expect(entry.outcome).toBe('failed');
    expect(entry.reason).toContain('the canary was not started');
  });

  it('does not write its canary over a pointer another run wrote after the backup, nor restore over it', async () => {
    // Prepare: the other run writes just as record-run is about to write the canary's pointer.
    const overlapping = withOverlappingWriter('record-run', 'getVersioned');

    // Act
    const record = await run(CANARY);

    // Assess: the backup was taken, the canary never written, the other run's pointer kept.
    expect(overlapping.bytes).not.toBe('');
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining([
        'BackUpServingPointer',
        'RecordEngineCanary',
        'ServingPointerChanged',
      ]),
    );
    expect(record.states).not.toContain('RestorePointerAfterFailure');
    expect(record.states).not.toContain('BakeEngineCanary');
    expect(await servingBytes()).toBe(overlapping.bytes);
    expect((await servingCard()).canary).toBeUndefined();
    expect(record.reasons?.[0]).toContain('ServingPointerChangedError');
  });

  it('promotes nothing over, nor restores over, a pointer another writer changed during the bake', async () => {
    // Prepare
    let written = '';

    // Act: while the canary bakes, another writer rewrites the pointer (as record-run's role).
    const record = await runCanary(async () => {
      const card = await servingCard();
      written = `${JSON.stringify({ ...card, canary: undefined, deployedAt: new Date(world.clock).toISOString() }, null, 2)}\n`;
      await as('record-run').put(SERVING_CARD_KEY, written, 'application/json');
    });

    // Assess: the bake's promotion found another pointer than its own and left it as it was.
    expect(record.outcome, record.cause).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining(['CheckCanary', 'RecordCanaryPromoted', 'RecordFailure']),
    );
    expect(record.states).not.toContain('RestorePointerAfterFailure');
    expect(record.reasons?.[0]).toContain(
      'ServingPointerChangedError: the serving pointer changed after this run wrote its canary',
    );
    expect(await servingBytes()).toBe(written);
  });

  /**
   * A canary run whose process dies mid-bake: the lake as it was while the canary baked (the
   * run's records saying RUNNING, the pointer naming its canary), and the bytes of the pointer
   * before it. Returns the dead run's id and its canary's version.
   */
  const runThatDiesMidBake = async () => {
    const before = await servingBytes();
    const snapshot = new Map<string, Uint8Array>();
    let dead = { runId: '', version: '' };
    await runCanary(async () => {
      const card = await servingCard();
      dead = {
        runId: card.canary?.model.runId as string,
        version: card.canary?.model.version as string,
      };
      for (const key of await world.store.list('')) {
        snapshot.set(key, (await world.store.get(key)) as Uint8Array);
      }
    });
    // The process is gone: what it wrote after the snapshot never happened.
    for (const key of await world.store.list('')) await world.store.delete(key);
    for (const [key, bytes] of snapshot) await world.store.put(key, bytes);
    return { before, ...dead };
  };

  it('rolls back, on the next run, a canary whose run died mid-bake, records why, and goes on', async () => {
    // Prepare
    const dead = await runThatDiesMidBake();
    expect((await servingCard()).canary?.model.runId).toBe(dead.runId);
    service = retrainService();
    let during: { version: string; canaryRunId: string | undefined } | undefined;

    // Act: the next run (no restart in between: on AWS the dead execution was stopped).
    const record = await runCanary(async () => {
      const card = await servingCard();
      during = { version: card.version, canaryRunId: card.canary?.model.runId };
    });

    // Assess: the leftover canary rolled back to its run's backup before this run decided.
    expect(record.states).toEqual(
      expect.arrayContaining([
        'DescribeCanaryRun',
        'RestoreLeftoverCanary',
        'RecordLeftoverCanary',
      ]),
    );
    expect(record.states.filter((s) => s === 'CheckDrift')).toHaveLength(2);
    expect(during).toEqual({ version: champion, canaryRunId: record.runId });
    expect(record.outcome, record.cause).toBe('promoted');
    const entry = await registry(dead.version);
    expect(entry.outcome).toBe('rolled-back');
    expect(entry.reason).toContain(`run ${dead.runId} ended mid-bake`);
    expect(entry.reason).toContain(`back on champion ${champion}`);
    expect(await read(`runs/${dead.runId}.json`)).toMatchObject({
      outcome: 'rolled-back',
      reasons: [`run ${dead.runId} ended mid-bake`, expect.stringContaining(champion)],
    });
  });

  it('rolls back, on start, a canary whose run was killed mid-bake', async () => {
    // Prepare
    const dead = await runThatDiesMidBake();
    service = retrainService();

    // Act: the runtime starts again.
    const report = await service.recover();

    // Assess: the pointer is byte for byte as before the dead run; every device on the champion.
    expect(report.canary).toEqual({
      runId: dead.runId,
      version: dead.version,
      championVersion: champion,
    });
    expect(report.interrupted.map((r) => r.runId)).toEqual([dead.runId]);
    expect(await servingBytes()).toBe(dead.before);
    const entry = await registry(dead.version);
    expect(entry.outcome).toBe('rolled-back');
    expect(entry.reason).toContain(`run ${dead.runId} ended mid-bake`);
    expect(await read(`runs/${dead.runId}.json`)).toMatchObject({ outcome: 'rolled-back' });
    expect(await read(`executions/${dead.runId}.json`)).toMatchObject({ status: 'INTERRUPTED' });
    const back = await forecastFor(canaryDevices[0] as string, new InProcessEngine(as('forecast')));
    expect(back.model).toEqual({ version: champion, variant: IN_PROCESS_VARIANT });
    // Nothing left to put right on the next start.
    expect((await service.recover()).canary).toBeUndefined();
  });

  /**
   * During the bake, as the forecast Lambda runs: a forecast for every device through GET
   * /forecast's handler with the sampler (the canary's devices also get the champion's shadow),
   * then the 25 hours that follow arrive (`groups`: each device group's pollution scale) and the
   * scoring step scores them against those readings. Returns the samples scored.
   */
  const serveAndScore = async (groups: Array<[string[], number]>): Promise<number> => {
    const store = as('forecast');
    const sampler = createServedSampler({
      store,
      now: () => world.clock,
      periodHours: 1,
      writerId: 'test',
    });
    const handler = makeForecastHandler(
      {
        contexts: createContextReader(store, LAYOUT, { now: () => world.clock }),
        endpoint: world.endpoint,
        engine: new InProcessEngine(store),
        predictionLength: 24,
        modelCard: cachedModelCard(store, 0),
        now: () => world.clock,
        metrics: world.cloudwatch.forecastMetrics(ENDPOINT),
      },
      { sampler },
    );
    for (const deviceId of DEVICES) {
      const event = { queryStringParameters: { deviceId, metric: 'pm25' } };
      const res = await handler(event as unknown as APIGatewayProxyEvent, {} as never);
      expect(res.statusCode, res.body).toBe(200);
    }
    await sampler.flush();
    world.clock += 25 * HOUR;
    await publish(25, groups);
    const scored = await scoreServed({
      store: as('update-context'),
      contexts: createContextReader(as('update-context'), LAYOUT, { now: () => world.clock }),
      now: () => world.clock,
      predictionLength: 24,
      contextHours: LAYOUT.contextHours,
    });
    return scored.samples;
  };

  /** The rows of the fleet day of the scored hour. */
  const scoredFleetRows = async () => {
    const day = (await read(
      fleetDayKey(new Date(world.clock - 25 * HOUR).toISOString().slice(0, 10)),
    )) as FleetDay;
    return Object.values(day.hours).flat();
  };
  const described = (rows: FleetRow[]) =>
    rows.map((r) => [r.version, r.role ?? 'served', r.shadowOf ?? null, r.devices]);
  /** The served rows' mean wQL of `version` (its own devices). */
  const servedWql = (rows: FleetRow[], version: string) =>
    scoresOf(
      rows
        .filter((r) => r.version === version && (r.role ?? 'served') === 'served')
        .reduce((sum, r) => addSums(sum, r.sums), emptySums()),
    ).meanWql ?? Number.NaN;

  it("rolls back when its realised loss on its own devices is worse than the champion's on the same requests", async () => {
    // Prepare
    const before = await servingBytes();
    let canary = '';

    // Act: the canary's artifact is a valid model that forecasts 300 too high; readings that
    // arrive are alike on every device, so only the model differs between the two sides.
    const record = await runCanary(async () => {
      const card = await servingCard();
      canary = card.canary?.model.version as string;
      await world.store.put(
        keyOfS3Uri(card.canary?.model.modelDataUrl as string),
        biasedEngineArtifact(300),
      );
      expect(await serveAndScore([[DEVICES, 1]])).toBe(DEVICES.length + canaryDevices.length);
    });

    // Assess: the fleet day holds each side's served rows and the champion's paired shadows.
    expect(described(await scoredFleetRows())).toEqual(
      expect.arrayContaining([
        [champion, 'served', null, championDevices.length],
        [canary, 'served', null, canaryDevices.length],
        [champion, 'shadow', canary, canaryDevices.length],
      ]),
    );
    expect(record.error, record.reasons?.join('; ')).toBe('DeploymentRolledBackError');
    expect(record.outcome).toBe('rolled-back');
    expect(await servingBytes()).toBe(before);
    const entry = await registry(canary);
    expect(entry.outcome).toBe('rolled-back');
    expect(entry.reason).toMatch(
      new RegExp(
        `canary ${canary} loses: realised wQL on the canary's devices, paired by request: canary ${canary} [\\d.]+ over (\\d+) points vs champion ${champion} [\\d.]+ over \\1 points`,
      ),
    );
  });

  it('promotes a canary as good as the champion although its devices are the harder ones', async () => {
    // Prepare
    let canary = '';

    // Act: the canary runs the champion's very model; the readings that arrive on the canary's
    // devices are 4x what their history let anyone expect, on the champion's devices as usual.
    // Side by side (each side's own devices) the canary would look far worse.
    const record = await runCanary(async () => {
      const card = await servingCard();
      canary = card.canary?.model.version as string;
      const championArtifact = await world.store.get(keyOfS3Uri(card.modelDataUrl));
      await world.store.put(
        keyOfS3Uri(card.canary?.model.modelDataUrl as string),
        championArtifact ?? new Uint8Array(),
      );
      expect(
        await serveAndScore([
          [championDevices, 1],
          [canaryDevices, 4],
        ]),
      ).toBe(DEVICES.length + canaryDevices.length);
    });

    // Assess: each side's own devices alone would have rolled the canary back (well beyond the
    // tolerance); paired on the same requests the losses are equal and it is promoted.
    const rows = await scoredFleetRows();
    expect(servedWql(rows, canary)).toBeGreaterThan(2 * servedWql(rows, champion));
    expect(record.outcome, record.reasons?.join('; ')).toBe('promoted');
    expect((await servingCard()).version).toBe(canary);
    const entry = await registry(canary);
    expect(entry.reason).toMatch(
      new RegExp(
        `canary ${canary} baked with no alarm; realised wQL on the canary's devices, paired by request: canary ${canary} ([\\d.]+) over (\\d+) points vs champion ${champion} \\1 over \\2 points`,
      ),
    );
  });
});

describe('an engine model replacing a DeepAR champion', () => {
  it('deletes the endpoint once the pointer names the engine model', async () => {
    // Prepare
    const deepar = await run({ algorithm: 'deepar', strategy: 'all-at-once', bakeSeconds: 0 });
    expect(deepar.outcome, deepar.cause).toBe('promoted');
    expect(await endpointExists()).toBe(true);

    // Act
    const record = await run({
      algorithm: 'smogcast',
      promotionMargin: -1,
      maxModelAgeHours: 1e-9,
    });

    // Assess: promoted at once (no engine champion to canary beside), then the endpoint deleted.
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).not.toContain('RecordEngineCanary');
    const promotedAt = record.states.indexOf('RecordEnginePromoted');
    expect(promotedAt).toBeGreaterThan(0);
    expect(record.states.indexOf('DeleteReplacedEndpoint')).toBeGreaterThan(promotedAt);
    expect(record.states).not.toContain('NotifyEndpointKept');
    expect(await endpointExists()).toBe(false);
    expect(await servingCard()).toMatchObject({ version: record.version, algorithm: 'smogcast' });
  });
});

describe('algorithm both with a failing branch', () => {
  it('evaluates the candidate that trained, lets it win, and records why the other did not', async () => {
    // Act: SageMaker refuses the DeepAR job's instance type; the engine trains.
    const record = await run({ algorithm: 'both' }, { TrainingInstanceType: 'ml.none.large' });

    // Assess
    expect(record.outcome, record.cause).toBe('promoted');
    expect(record.states).toEqual(
      expect.arrayContaining([
        'DeepArCandidateFailed',
        'TrainEngineCandidate',
        'EvaluateCandidates',
      ]),
    );
    const entry = await registry(record.version as string);
    expect(entry.algorithm).toBe('smogcast');
    const deepar = entry.evaluation?.candidates?.find((c) => c.algorithm === 'deepar');
    expect(deepar?.wql).toBeNull();
    expect(deepar?.failure).toContain('SageMaker.ValidationException');
    expect(entry.reason).toContain('deepar training failed (SageMaker.ValidationException');
    expect(entry.reason).toContain('smogcast challenges');
    expect((await servingCard()).version).toBe(record.version);
  });

  it('fails the run with the champion untouched when both branches fail', async () => {
    // Prepare
    const first = await run({ algorithm: 'smogcast' });
    expect(first.outcome, first.cause).toBe('promoted');
    const before = await servingBytes();

    // Act: hyperparameters both trainers refuse.
    const record = await run({ algorithm: 'both', maxModelAgeHours: 1e-9 }, { Epochs: 'many' });

    // Assess
    expect(record.status).toBe('FAILED');
    expect(record.outcome).toBe('failed');
    expect(record.states).toEqual(
      expect.arrayContaining(['DeepArCandidateFailed', 'EngineCandidateFailed', 'RecordFailure']),
    );
    expect(record.reasons?.[0]).toMatch(
      /^NoCandidateTrainedError: no candidate trained: deepar failed/,
    );
    expect(record.reasons?.[0]).toContain('smogcast failed');
    expect(await servingBytes()).toBe(before);
  });
});
