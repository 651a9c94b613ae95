// GET /runs, GET /models and GET /accuracy through their handlers, on records the real record-run
// step wrote: 200s that parse as the published contract and carry the run's figures, 400s with
// a JSON message for bad parameters.
import { describe, expect, it } from 'vitest';
import { ModelsResponse, RunsResponse } from '../../../../core/accuracy.js';
import { PRIMARY_VARIANT } from '../../../../core/model-card.js';
import { makeHandler as makeAccuracyHandler } from '../../../../functions/accuracy/handler.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { makeHandler as makeModelsHandler } from '../../../../functions/models/handler.js';
import { recordRun } from '../../../../functions/record-run/record-run.js';
import type { RunState } from '../../../../functions/record-run/schema.js';
import { makeHandler as makeRunsHandler } from '../../../../functions/runs/handler.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const now = () => NOW;

const drift = {
  train: true,
  reasons: ['data drift: PSI(pm25) = 0.4 > 0.2'],
  championVersion: null,
  championModel: null,
  psi: { pm25: 0.4, o3: 0.05 },
  championRecentWql: null,
  championBacktestWql: null,
  championAgeHours: null,
  newReadings: 900,
  profile: {},
};

const trainedRun = (runId: string, version: string, startedAt: string): RunState => ({
  runId,
  startedAt,
  endpointName: 'smogcast',
  hyperParameters: {},
  policy: { psiThreshold: 0.2 },
  deployment: { strategy: 'canary' },
  prepare: { version },
  drift,
  training: {
    trainingJobName: `smogcast-${version}`,
    modelDataUrl: 's3://lake/models/artifacts/x/output/model.tar.gz',
    metrics: [{ MetricName: 'test:mean_wQuantileLoss', Value: 0.25 }],
  },
  evaluation: {
    promote: true,
    reason: 'better: challenger wQL 0.25',
    challengerWql: 0.25,
    championWql: null,
    championVersion: null,
    margin: 0.02,
  },
});

const call = async (
  handler: (e: never, c: never) => Promise<unknown>,
  query: Record<string, string>,
  multi: Record<string, string[]> = {},
) => {
  const res = (await handler(
    { queryStringParameters: query, multiValueQueryStringParameters: multi } as never,
    {} as never,
  )) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) as unknown };
};

const seedLake = async () => {
  const store = new MemoryObjectStore('lake');
  await store.put('models/registry/.keep', ''); // not a registry entry: ignored
  for (const runId of ['run-20261125-100000-aa', 'run-20261125-110000-bb']) {
    await store.put(
      `deepar/${runId}/categories.json`,
      JSON.stringify({ devices: ['sim-001'], metrics: ['o3', 'pm25', 'pm10', 'co', 'so2', 'no2'] }),
    );
  }
  await recordRun(
    {
      outcome: 'promoted',
      state: trainedRun('run-20261125-100000-aa', '20261125-100000', '2026-11-25T10:00:00.000Z'),
    },
    { store, now: () => Date.parse('2026-11-25T10:05:00Z') },
  );
  await recordRun(
    {
      outcome: 'rejected',
      state: {
        ...trainedRun('run-20261125-110000-bb', '20261125-110000', '2026-11-25T11:00:00.000Z'),
        evaluation: {
          promote: false,
          reason: 'not better: challenger wQL 0.3 vs champion 0.25',
          challengerWql: 0.3,
          championWql: 0.25,
          championVersion: '20261125-100000',
          margin: 0.02,
        },
      },
    },
    { store, now: () => Date.parse('2026-11-25T11:04:00Z') },
  );
  // The local runtime's execution record of the second run: states as entered.
  await store.put(
    'executions/run-20261125-110000-bb.json',
    JSON.stringify({
      runId: 'run-20261125-110000-bb',
      startedAt: '2026-11-25T11:00:00.000Z',
      finishedAt: '2026-11-25T11:04:00.000Z',
      status: 'SUCCEEDED',
      states: ['RunEtl', 'CheckDrift', 'Train'],
      stateEnteredAt: [
        '2026-11-25T11:00:00.000Z',
        '2026-11-25T11:00:30.000Z',
        '2026-11-25T11:01:00.000Z',
      ],
    }),
  );
  return store;
};

describe('GET /runs', () => {
  it('lists runs newest first with state spans, PSI and its threshold, pages by cursor', async () => {
    // Prepare
    const store = await seedLake();
    const handler = makeRunsHandler({ store, now });

    // Act
    const first = await call(handler, { limit: '1' });
    const page1 = RunsResponse.parse(first.body);
    const page2 = RunsResponse.parse(
      (await call(handler, { limit: '1', cursor: page1.nextCursor ?? '' })).body,
    );

    // Assess
    expect(first.status).toBe(200);
    const [run] = page1.runs;
    expect(run).toMatchObject({
      runId: 'run-20261125-110000-bb',
      status: 'SUCCEEDED',
      outcome: 'rejected',
      durationSeconds: 240,
      psi: { pm25: 0.4, o3: 0.05 },
      psiThreshold: 0.2,
      ab: null,
      evaluation: { promote: false, challengerWql: 0.3, championWql: 0.25 },
    });
    expect(run?.states).toEqual([
      {
        name: 'RunEtl',
        startedAt: '2026-11-25T11:00:00.000Z',
        endedAt: '2026-11-25T11:00:30.000Z',
        seconds: 30,
      },
      {
        name: 'CheckDrift',
        startedAt: '2026-11-25T11:00:30.000Z',
        endedAt: '2026-11-25T11:01:00.000Z',
        seconds: 30,
      },
      {
        name: 'Train',
        startedAt: '2026-11-25T11:01:00.000Z',
        endedAt: '2026-11-25T11:04:00.000Z',
        seconds: 180,
      },
    ]);
    expect(page1.nextCursor).toBe('run-20261125-110000-bb');
    expect(page2.runs.map((r) => r.runId)).toEqual(['run-20261125-100000-aa']);
    expect(page2.nextCursor).toBeNull();
  });

  it('records the A/B round a run scored', async () => {
    // Prepare: a run during an A/B test that shifted the weights.
    const store = new MemoryObjectStore('lake');
    await recordRun(
      {
        outcome: 'ab-testing',
        state: {
          runId: 'run-20261125-120000-cc',
          startedAt: '2026-11-25T12:00:00.000Z',
          endpointName: 'smogcast',
          hyperParameters: {},
          ab: {
            active: true,
            action: 'shift',
            challengerWeight: 0.75,
            championWeight: 0.25,
            winner: null,
            reasons: ['challenger ahead'],
          },
        },
      },
      { store, now },
    );

    // Act
    const body = RunsResponse.parse((await call(makeRunsHandler({ store, now }), {})).body);

    // Assess
    expect(body.runs[0]?.ab).toEqual({
      action: 'shift',
      challengerWeight: 0.75,
      championWeight: 0.25,
      winner: null,
    });
    expect(body.runs[0]?.states).toEqual([]);
  });

  it('answers 400 with a JSON message for bad parameters', async () => {
    const handler = makeRunsHandler({ store: new MemoryObjectStore('lake'), now });
    for (const query of <Array<Record<string, string>>>[
      { limit: '0' },
      { limit: '101' },
      { limit: 'ten' },
      { cursor: '../x' },
    ]) {
      const res = await call(handler, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body).toMatchObject({ error: expect.any(String) });
    }
    const repeated = await call(handler, { limit: '2' }, { limit: ['1', '2'] });
    expect(repeated.status).toBe(400);
  });
});

describe('GET /models', () => {
  it('shows the registry as a timeline of trained, promoted and rejected versions', async () => {
    // Prepare
    const store = await seedLake();

    // Act
    const res = await call(makeModelsHandler({ store, now }), {});
    const body = ModelsResponse.parse(res.body);

    // Assess
    expect(res.status).toBe(200);
    expect(body.champion).toEqual({ version: '20261125-100000', variant: PRIMARY_VARIANT });
    expect(body.models.map((m) => [m.version, m.outcome])).toEqual([
      ['20261125-110000', 'rejected'],
      ['20261125-100000', 'promoted'],
    ]);
    expect(body.events.map((e) => [e.at, e.version, e.kind])).toEqual([
      ['2026-11-25T10:00:00.000Z', '20261125-100000', 'trained'],
      ['2026-11-25T10:05:00.000Z', '20261125-100000', 'promoted'],
      ['2026-11-25T11:00:00.000Z', '20261125-110000', 'trained'],
      ['2026-11-25T11:04:00.000Z', '20261125-110000', 'rejected'],
    ]);
    expect(body.events[3]?.reason).toContain('not better');
  });

  it('shows an engine canary baking, and an A/B test under way, as events of their own', async () => {
    // Prepare: beside the champion, one version is a canary and one is in an A/B test.
    const store = await seedLake();
    for (const [runId, version, outcome] of [
      ['run-20261125-120000-cc', '20261125-120000', 'canary'],
      ['run-20261125-130000-dd', '20261125-130000', 'ab-testing'],
    ] as const) {
      await store.put(
        `deepar/${runId}/categories.json`,
        JSON.stringify({ devices: ['sim-001'], metrics: ['o3', 'pm25'] }),
      );
      await recordRun(
        {
          outcome,
          state: {
            ...trainedRun(
              runId,
              version,
              `${version.slice(0, 4)}-11-25T${version.slice(9, 11)}:00:00.000Z`,
            ),
            training: {
              ...(trainedRun(runId, version, '').training as NonNullable<RunState['training']>),
              algorithm: 'smogcast',
            },
            deployment: { strategy: 'canary', engineCanaryPercent: '10' },
          },
        },
        { store, now: () => Date.parse(`2026-11-25T${version.slice(9, 11)}:02:00Z`) },
      );
    }

    // Act
    const res = await call(makeModelsHandler({ store, now }), {});
    const body = ModelsResponse.parse(res.body);

    // Assess
    expect(res.status).toBe(200);
    expect(body.events.slice(-4).map((e) => [e.version, e.kind])).toEqual([
      ['20261125-120000', 'trained'],
      ['20261125-120000', 'canary'],
      ['20261125-130000', 'trained'],
      ['20261125-130000', 'ab-testing'],
    ]);
    expect(body.events.find((e) => e.kind === 'canary')?.reason).toContain(
      'engine canary: serves 10% of devices',
    );
  });

  it('answers 400 for a bad limit', async () => {
    const res = await call(makeModelsHandler({ store: new MemoryObjectStore('lake'), now }), {
      limit: '0',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: expect.stringContaining('limit') });
  });
});

describe('GET /accuracy parameters', () => {
  it('answers 200 with empty figures on a lake without scores, and 400 for bad parameters', async () => {
    const handler = makeAccuracyHandler({
      store: new MemoryObjectStore('lake'),
      now,
      periodHours: 6,
    });
    const empty = await call(handler, { days: '3' });
    expect(empty).toMatchObject({
      status: 200,
      body: {
        metric: null,
        days: 3,
        from: '2026-11-23',
        to: '2026-11-25',
        daily: [],
        backtests: [],
      },
    });
    for (const query of <Array<Record<string, string>>>[
      { days: '0' },
      { days: '31' },
      { days: 'x' },
      { deviceId: 'sim-001' },
      { deviceId: 'sim-001', metric: 'nope' },
      { deviceId: 'bad id!', metric: 'pm25' },
    ]) {
      const res = await call(handler, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body).toMatchObject({ error: expect.any(String) });
    }
  });
});
