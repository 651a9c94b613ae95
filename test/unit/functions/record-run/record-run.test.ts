import { describe, expect, it } from 'vitest';
import { SERVING_CARD_KEY } from '../../../../core/model-card.js';
import { decodeText } from '../../../../core/text.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { recordRun } from '../../../../functions/record-run/record-run.js';
import type { RunState } from '../../../../functions/record-run/schema.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const drift = {
  train: true,
  reasons: ['data drift: PSI(pm25) = 0.4 > 0.2'],
  championVersion: 'v0',
  championModel: 'smogcast-v0',
  psi: { pm25: 0.4 },
  championRecentWql: 0.3,
  championBacktestWql: 0.2,
  championAgeHours: 5,
  newReadings: 0,
  profile: { pm25: { counts: [1, 2], total: 3 } },
};
const trained: RunState = {
  runId: 'run-1',
  startedAt: '2026-11-25T11:00:00.000Z',
  endpointName: 'smogcast',
  hyperParameters: { prediction_length: '24' },
  deployment: { strategy: 'canary' },
  prepare: { version: '20261125-110000' },
  drift,
  training: {
    trainingJobName: 'smogcast-20261125-110000',
    modelDataUrl: 's3://lake/models/artifacts/x/output/model.tar.gz',
    metrics: [{ MetricName: 'test:mean_wQuantileLoss', Value: 0.25 }],
  },
  evaluation: {
    promote: true,
    reason: 'better: …',
    challengerWql: 0.25,
    championWql: 0.3,
    championVersion: 'v0',
    margin: 0.02,
  },
  endpoint: { status: 'InService', endpointConfigName: 'smogcast-20261125-110000' },
};

const read = async (store: MemoryObjectStore, key: string) => {
  const bytes = await store.get(key);
  return bytes ? JSON.parse(decodeText(bytes)) : undefined;
};

const setup = async () => {
  const store = new MemoryObjectStore('lake');
  await store.put(
    'deepar/run-1/categories.json',
    JSON.stringify({ devices: ['a'], metrics: ['o3'] }),
  );
  await store.put(
    'deepar/run-1/profile.json',
    JSON.stringify({ windowStart: 0, windowEnd: 3_600_000 }),
  );
  return store;
};

/** check-drift's facts of the pointer as it is now (an engine champion), with its ETag. */
const servingAsRead = async (store: MemoryObjectStore) => ({
  algorithm: 'smogcast' as const,
  version: 'v0',
  abTest: false,
  canary: false,
  etag: (await store.getVersioned(SERVING_CARD_KEY))?.etag ?? null,
  canaryRunId: null,
  canaryVersion: null,
});

const engineState = (state: Partial<RunState> = {}): RunState => ({
  ...trained,
  training: { ...trained.training, algorithm: 'smogcast' } as RunState['training'],
  ...state,
});

describe('record-run', () => {
  it('records a promotion: registry entry, serving card and run summary', async () => {
    const store = await setup();
    const result = await recordRun(
      { outcome: 'promoted', state: trained },
      { store, now: () => NOW },
    );
    expect(result).toMatchObject({
      outcome: 'promoted',
      version: '20261125-110000',
      variant: 'primary',
    });
    const entry = await read(store, 'models/registry/20261125-110000.json');
    expect(entry).toMatchObject({
      outcome: 'promoted',
      metrics: { 'test:mean_wQuantileLoss': 0.25 },
      dataWindow: { start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T01:00:00.000Z' },
      deployment: { strategy: 'canary', endpointConfigName: 'smogcast-20261125-110000' },
    });
    const card = await read(store, SERVING_CARD_KEY);
    expect(card).toMatchObject({
      version: '20261125-110000',
      categories: { devices: ['a'] },
      profile: drift.profile,
      dataWindowStart: '1970-01-01T00:00:00.000Z',
      dataWindowEnd: '1970-01-01T01:00:00.000Z',
    });
    const summary = await read(store, 'runs/run-1.json');
    expect(summary).toMatchObject({ outcome: 'promoted', version: '20261125-110000' });
    expect(summary.drift.profile).toBeUndefined();
  });

  it('records an engine canary beside the engine champion, which the card keeps serving', async () => {
    // Prepare: an engine champion serves.
    const store = await setup();
    const champion = await recordRun(
      {
        outcome: 'promoted',
        state: {
          ...trained,
          runId: 'run-1',
          prepare: { version: 'v0' },
          training: { ...trained.training, algorithm: 'smogcast' } as RunState['training'],
        },
      },
      { store, now: () => NOW - 3_600_000 },
    );
    expect(champion.variant).toBe('in-process');
    const before = await read(store, SERVING_CARD_KEY);
    const engine = {
      ...trained,
      drift: { ...drift, serving: await servingAsRead(store) },
      deployment: { strategy: 'canary', engineCanaryPercent: '25' },
      training: { ...trained.training, algorithm: 'smogcast' } as RunState['training'],
    };

    // Act
    const result = await recordRun({ outcome: 'canary', state: engine }, { store, now: () => NOW });

    // Assess: the champion's card with the canary beside it; the share, start and the ETag of
    // the pointer written (the one its promotion or restore must still find) returned.
    expect(result.canary).toEqual({
      percent: 25,
      startedAt: '2026-11-25T12:00:00.000Z',
      pointerEtag: (await store.getVersioned(SERVING_CARD_KEY))?.etag,
    });
    const card = await read(store, SERVING_CARD_KEY);
    const { canary, ...serving } = card;
    expect(serving).toEqual(before);
    expect(canary).toMatchObject({
      percent: 25,
      startedAt: '2026-11-25T12:00:00.000Z',
      model: { version: '20261125-110000', algorithm: 'smogcast' },
    });
    const entry = await read(store, 'models/registry/20261125-110000.json');
    expect(entry).toMatchObject({
      outcome: 'canary',
      deployment: { strategy: 'in-process-canary', endpointConfigName: null },
    });
    expect(entry.reason).toContain('engine canary: serves 25% of devices beside champion v0');

    // Act: the bake's verdict rolls it back (the state machine restored the pointer first).
    await recordRun(
      {
        outcome: 'rolled-back',
        state: { ...engine, canaryCheck: { action: 'rollback', reasons: ['canary loses'] } },
      },
      { store, now: () => NOW + 60_000 },
    );

    // Assess
    const rolled = await read(store, 'models/registry/20261125-110000.json');
    expect(rolled.outcome).toBe('rolled-back');
    expect(rolled.reason).toBe(
      'canary loses; the serving pointer is back on champion v0; the champion serves every device',
    );
  });

  it.each(['rejected', 'rolled-back', 'failed'] as const)(
    'records a %s challenger in the registry and leaves the serving card alone',
    async (outcome) => {
      const store = await setup();
      await store.put(SERVING_CARD_KEY, '{"version":"v0"}');
      const state = {
        ...trained,
        failure: { Error: 'SageMaker.ValidationException', Cause: 'boom' },
      };
      await recordRun({ outcome, state }, { store, now: () => NOW });
      expect((await read(store, 'models/registry/20261125-110000.json')).outcome).toBe(outcome);
      expect(await read(store, SERVING_CARD_KEY)).toEqual({ version: 'v0' });
      expect((await read(store, 'runs/run-1.json')).outcome).toBe(outcome);
    },
  );

  it('keeps models/recent.json: newest runs first, registry entries without their maps', async () => {
    // Prepare
    const store = await setup();
    const skipped: RunState = {
      runId: 'run-2',
      startedAt: '2026-11-26T11:00:00.000Z',
      endpointName: 'smogcast',
      hyperParameters: {},
      drift: { ...drift, train: false },
    };

    // Act
    await recordRun({ outcome: 'promoted', state: trained }, { store, now: () => NOW });
    await recordRun({ outcome: 'skipped', state: skipped }, { store, now: () => NOW });
    await recordRun({ outcome: 'skipped', state: skipped }, { store, now: () => NOW });

    // Assess
    const recent = await read(store, 'models/recent.json');
    expect(recent.runs.map((r: { runId: string }) => r.runId)).toEqual(['run-2', 'run-1']);
    expect(recent.registry).toHaveLength(1);
    expect(recent.registry[0]).toMatchObject({ version: '20261125-110000', outcome: 'promoted' });
    expect(recent.registry[0].categories).toBeUndefined();
    expect(recent.registry[0].profile).toBeUndefined();
  });

  it("ends the champion's data window at the run's snapshot when the last hour was partial", async () => {
    const store = await setup();
    await store.put(
      'deepar/run-1/profile.json',
      JSON.stringify({ windowStart: 0, windowEnd: Date.parse('2026-11-25T12:00:00Z') }),
    );
    await recordRun({ outcome: 'promoted', state: trained }, { store, now: () => NOW });
    expect((await read(store, SERVING_CARD_KEY)).dataWindowEnd).toBe(trained.startedAt);
  });

  it('writes a promotion only over the pointer check-drift read, and none over a pointer it did not see', async () => {
    // Prepare: check-drift read the champion's pointer; another run rewrote it since.
    const store = await setup();
    await store.put(SERVING_CARD_KEY, '{"version":"v0"}');
    const decided = { ...drift, serving: await servingAsRead(store) };
    await store.put(SERVING_CARD_KEY, '{"version":"other"}');
    const first = { ...drift, serving: { ...decided.serving, version: null, etag: null } };

    // Act
    const over = recordRun(
      { outcome: 'promoted', state: engineState({ drift: decided }) },
      { store, now: () => NOW },
    );
    const asFirst = recordRun(
      { outcome: 'promoted', state: engineState({ drift: first }) },
      { store, now: () => NOW },
    );

    // Assess: both refused, saying why; the other run's pointer kept.
    await expect(over).rejects.toThrow(
      `the serving pointer changed after check-drift read it (ETag ${decided.serving.etag})`,
    );
    await expect(asFirst).rejects.toThrow(
      'the serving pointer changed after check-drift read it (none existed)',
    );
    expect(await read(store, SERVING_CARD_KEY)).toEqual({ version: 'other' });
  });

  it("promotes a baked canary only over the canary's pointer the run wrote", async () => {
    // Prepare: an engine champion; this run's canary beside it; then another writer.
    const store = await setup();
    await recordRun(
      { outcome: 'promoted', state: engineState({ runId: 'run-1', prepare: { version: 'v0' } }) },
      { store, now: () => NOW - 3_600_000 },
    );
    const baking = engineState({
      drift: { ...drift, serving: await servingAsRead(store) },
      deployment: { strategy: 'canary', engineCanaryPercent: '25' },
    });
    const { canary } = await recordRun(
      { outcome: 'canary', state: baking },
      { store, now: () => NOW },
    );
    const verdict = { action: 'promote' as const, reasons: ['the canary is as good'] };
    const promoted = engineState({ ...baking, canary, canaryCheck: verdict });
    const ours = (await store.get(SERVING_CARD_KEY)) as Uint8Array;
    await store.put(SERVING_CARD_KEY, ours);

    // Act: the pointer's bytes are the same, but it is another write (another ETag).
    const result = recordRun({ outcome: 'promoted', state: promoted }, { store, now: () => NOW });

    // Assess
    await expect(result).rejects.toThrow(
      `the serving pointer changed after this run wrote its canary (ETag ${canary?.pointerEtag})`,
    );
    expect((await read(store, SERVING_CARD_KEY)).canary).toBeDefined();

    // Act: without the other write, the promotion goes through.
    const { canary: again } = await recordRun(
      {
        outcome: 'canary',
        state: { ...baking, drift: { ...drift, serving: await servingAsRead(store) } },
      },
      { store, now: () => NOW },
    );
    await recordRun(
      { outcome: 'promoted', state: { ...promoted, canary: again } },
      { store, now: () => NOW },
    );

    // Assess: the new version alone.
    const card = await read(store, SERVING_CARD_KEY);
    expect(card.version).toBe('20261125-110000');
    expect(card.canary).toBeUndefined();
  });

  it("records a run that found another run's canary baking as skipped, saying whose", async () => {
    const store = await setup();
    const { training: _t, evaluation: _e, ...skipped } = trained;
    const serving = {
      ...(await servingAsRead(store)),
      canary: true,
      canaryRunId: 'run-0',
      canaryVersion: 'v1',
    };
    const result = await recordRun(
      {
        outcome: 'skipped',
        state: { ...skipped, drift: { ...drift, serving }, canaryRun: { status: 'RUNNING' } },
      },
      { store, now: () => NOW },
    );
    expect(result.reasons).toEqual([
      "run run-0's canary v1 is still baking: one rollout at a time, so this run deploys nothing and a later run decides",
      ...drift.reasons,
    ]);
  });

  it('records a skipped run without a registry entry, with the drift reasons', async () => {
    const store = await setup();
    const { training: _t, evaluation: _e, ...skipped } = trained;
    const result = await recordRun(
      {
        outcome: 'skipped',
        state: { ...skipped, drift: { ...drift, train: false, reasons: ['no drift: …'] } },
      },
      { store, now: () => NOW },
    );
    expect(result).toMatchObject({ outcome: 'skipped', version: null, reasons: ['no drift: …'] });
    // Only the recent-records index: no registry entry, no serving card.
    expect(await store.list('models/')).toEqual(['models/recent.json']);
  });

  it('records a failure before training with its error', async () => {
    const store = await setup();
    const state: RunState = {
      runId: 'run-1',
      startedAt: trained.startedAt,
      endpointName: 'smogcast',
      hyperParameters: {},
      failure: { Error: 'NoCuratedDataError', Cause: 'no curated Parquet under curated/' },
    };
    await recordRun({ outcome: 'failed', state }, { store, now: () => NOW });
    const summary = await read(store, 'runs/run-1.json');
    expect(summary).toMatchObject({
      outcome: 'failed',
      error: { name: 'NoCuratedDataError' },
      reasons: ['NoCuratedDataError: no curated Parquet under curated/'],
    });
  });

  it.each([
    [
      'put back',
      { restored: { endpointArn: 'arn:aws:sagemaker:us-east-1:1:endpoint/smogcast' } },
      'the endpoint was put back on smogcast-v0',
    ],
    [
      'not restored',
      { restoreError: { Error: 'EndpointRestoreTimeoutError', Cause: 'stayed Updating' } },
      'the endpoint could not be put back on smogcast-v0: EndpointRestoreTimeoutError: stayed Updating',
    ],
    [
      'already serving',
      { restoreCheck: { status: 'InService', endpointConfigName: 'smogcast-v0' } },
      'the endpoint still serves smogcast-v0',
    ],
  ])(
    'records a failure after a deployment with what the restore did (%s)',
    async (_, restore, reason) => {
      // Prepare
      const store = await setup();
      const state: RunState = {
        ...trained,
        previous: { endpointConfigName: 'smogcast-v0' },
        failure: { Error: 'EndpointWaitTimeoutError', Cause: 'The endpoint did not settle.' },
        ...restore,
      };
      // Act
      const result = await recordRun({ outcome: 'failed', state }, { store, now: () => NOW });
      // Assess
      expect(result.reasons).toEqual([
        'EndpointWaitTimeoutError: The endpoint did not settle.',
        reason,
      ]);
      expect(await read(store, SERVING_CARD_KEY)).toBeUndefined();
    },
  );

  it('names the A/B weights a restore put back', async () => {
    const store = await setup();
    const state: RunState = {
      ...trained,
      previous: { endpointConfigName: 'smogcast-ab' },
      restored: { endpointArn: 'arn:aws:sagemaker:us-east-1:1:endpoint/smogcast' },
      failure: { Error: 'Error', Cause: 'put failed' },
      ab: {
        active: true,
        action: 'conclude',
        challengerWeight: 1,
        servingChampionWeight: 0.25,
        servingChallengerWeight: 0.75,
        winner: 'challenger',
        reasons: [],
      },
    };
    const result = await recordRun({ outcome: 'failed', state }, { store, now: () => NOW });
    expect(result.reasons[1]).toBe(
      'the endpoint was put back on smogcast-ab with the weights models/serving.json names (champion 0.25, challenger 0.75)',
    );
  });

  it.each([
    ['a recorded round', 'ab-testing', false, 0.75],
    ['a failed run whose endpoint took the new weights', 'failed', true, 0.75],
    ['a failed run whose weights update failed', 'failed', false, 0.5],
  ] as const)(
    'names the weights the endpoint serves after %s',
    async (_, outcome, updated, weight) => {
      // Prepare: a champion serving card with an A/B test at 0.5.
      const store = await setup();
      await recordRun({ outcome: 'promoted', state: trained }, { store, now: () => NOW });
      const {
        endpointName: _e,
        endpointConfigName: _c,
        variant: _v,
        deployedAt: _d,
        ...served
      } = await read(store, SERVING_CARD_KEY);
      const card = {
        ...(await read(store, SERVING_CARD_KEY)),
        abTest: {
          challenger: served,
          challengerWeight: 0.5,
          startedAt: trained.startedAt,
          rounds: 0,
        },
      };
      await store.put(SERVING_CARD_KEY, JSON.stringify(card));
      const state: RunState = {
        runId: 'run-2',
        startedAt: trained.startedAt,
        endpointName: 'smogcast',
        hyperParameters: {},
        ab: {
          active: true,
          action: 'shift',
          challengerWeight: 0.75,
          winner: null,
          reasons: ['A/B: weights → challenger 0.75'],
        },
        ...(updated
          ? { weightsUpdated: { endpointArn: 'arn:aws:sagemaker:us-east-1:1:endpoint/x' } }
          : {}),
        ...(outcome === 'failed' ? { failure: { Error: 'Error', Cause: 'record failed' } } : {}),
      };
      // Act
      await recordRun({ outcome, state }, { store, now: () => NOW });
      // Assess
      expect((await read(store, SERVING_CARD_KEY)).abTest.challengerWeight).toBe(weight);
    },
  );
  it.each([
    ['promoted', 'challenger'],
    ['rejected', 'champion'],
  ] as const)('gives an A/B conclusion (%s) the round’s reasons', async (outcome, winner) => {
    // Prepare: a champion serving card with an A/B test under way.
    const store = await setup();
    await recordRun({ outcome: 'promoted', state: trained }, { store, now: () => NOW });
    const card = await read(store, SERVING_CARD_KEY);
    const {
      endpointName: _e,
      endpointConfigName: _c,
      variant: _v,
      deployedAt: _d,
      ...served
    } = card;
    await store.put(
      SERVING_CARD_KEY,
      JSON.stringify({
        ...card,
        abTest: {
          challenger: served,
          challengerWeight: 0.9,
          startedAt: trained.startedAt,
          rounds: 3,
        },
      }),
    );
    const reasons = [`A/B: ${winner} wins after 3 rounds`];
    const state: RunState = {
      runId: 'run-3',
      startedAt: trained.startedAt,
      endpointName: 'smogcast',
      hyperParameters: {},
      ab: { active: true, action: 'conclude', challengerWeight: 1, winner, reasons },
    };
    // Act
    const result = await recordRun({ outcome, state }, { store, now: () => NOW });
    // Assess: not an empty list, nor a drift or evaluation reason the run never had.
    expect(result.reasons).toEqual(reasons);
  });
});
