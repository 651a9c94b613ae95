// The evaluate step's rolling-origin backtest: origins one prediction length apart on the run's
// test channel, a bounded device sample, the champion through the endpoint (and the challenger
// through its variant during an A/B test), one stored file per version. The endpoint is a stub
// of the port: it answers a band around the last observed value, so the figures are known.
import { describe, expect, it } from 'vitest';
import { FleetAccuracyResponse } from '../../../../core/accuracy.js';
import type { ModelCard } from '../../../../core/model-card.js';
import type { DeepArRequest, ModelEndpoint } from '../../../../core/ports.js';
import type { BacktestFile } from '../../../../core/realised-accuracy.js';
import { decodeText } from '../../../../core/text.js';
import { makeHandler as makeAccuracyHandler } from '../../../../functions/accuracy/handler.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { backtestServedModels, sampleDevices } from '../../../../functions/evaluate/backtest.js';
import { makeHandler as makeEvaluateHandler } from '../../../../functions/evaluate/handler.js';

const P = 4;
const NOW = Date.parse('2026-11-25T12:00:00Z');
const DEVICES = ['d1', 'd2', 'd3'];

const card = (abTest?: ModelCard['abTest']): ModelCard => ({
  version: 'v1',
  runId: 'run-0',
  trainingJobName: 'job-v1',
  modelDataUrl: 's3://lake/x',
  // The model's device order differs from the run's: indices must be translated.
  categories: { devices: ['d3', 'd2', 'd1'], metrics: ['o3', 'pm25'] },
  metrics: {},
  profile: {},
  dataWindowStart: null,
  dataWindowEnd: null,
  endpointName: 'smogcast',
  endpointConfigName: 'c1',
  variant: 'primary',
  deployedAt: '2026-11-24T00:00:00.000Z',
  ...(abTest ? { abTest } : {}),
});

const lake = async () => {
  const store = new MemoryObjectStore('lake');
  await store.put(
    'deepar/run-1/categories.json',
    JSON.stringify({ devices: DEVICES, metrics: ['o3', 'pm25'] }),
  );
  // 20 hourly points per series: value = 10 × device + hour.
  const lines = DEVICES.flatMap((_, d) =>
    [0, 1].map((m) =>
      JSON.stringify({
        start: '2026-11-24 00:00:00',
        target: Array.from({ length: 20 }, (_, h) => 10 * (d + 1) + h + m),
        cat: [d, m],
      }),
    ),
  );
  await store.put('deepar/run-1/test/data.json', `${lines.join('\n')}\n`);
  return store;
};

const stubEndpoint = (
  calls: Array<{ variant: string | undefined; request: DeepArRequest }>,
): ModelEndpoint => ({
  invoke: async (request, variant) => {
    calls.push({ request, variant });
    return {
      variant,
      body: {
        predictions: request.instances.map((instance) => {
          const last = Number(instance.target.at(-1));
          const flat = (v: number) => Array.from({ length: P }, () => v);
          return { quantiles: { '0.1': flat(last - 1), '0.5': flat(last), '0.9': flat(last + 1) } };
        }),
      },
    };
  },
});

describe('backtestServedModels', () => {
  it('forecasts the champion from three origins and stores the windows with the actuals', async () => {
    // Prepare
    const store = await lake();
    const calls: Array<{ variant: string | undefined; request: DeepArRequest }> = [];
    const deps = {
      store,
      endpoint: stubEndpoint(calls),
      modelCard: async () => card(),
      now: () => NOW,
    };

    // Act
    const [file] = await backtestServedModels({ runId: 'run-1', predictionLength: P }, deps);
    const stored = JSON.parse(
      decodeText((await store.get('models/backtests/v1.json')) ?? new Uint8Array()),
    ) as BacktestFile;

    // Assess
    expect(stored).toEqual(file);
    expect(file).toMatchObject({ version: 'v1', role: 'champion', runId: 'run-1' });
    expect(file?.windows).toHaveLength(DEVICES.length * 2 * 3);
    const d1 = file?.windows.filter((w) => w.deviceId === 'd1' && w.metric === 'o3') ?? [];
    expect(d1.map((w) => w.start)).toEqual([
      '2026-11-24T16:00:00.000Z',
      '2026-11-24T12:00:00.000Z',
      '2026-11-24T08:00:00.000Z',
    ]);
    // d1/o3 is 10 + h: from the origin at 16 h the actuals are 26..29, the stub's median 25.
    expect(d1[0]).toMatchObject({
      actual: [26, 27, 28, 29],
      p50: [25, 25, 25, 25],
      p90: [26, 26, 26, 26],
    });
    // The model's own device index was sent (d1 is index 2 in the model).
    expect(calls[0]?.request.instances.some((i) => i.cat?.[0] === 2)).toBe(true);
    expect(calls.every((c) => c.variant === undefined)).toBe(true);
  });

  it('backtests an A/B challenger through its variant, and samples a bounded set of devices', async () => {
    // Prepare
    const store = await lake();
    const calls: Array<{ variant: string | undefined; request: DeepArRequest }> = [];
    const challenger = { ...card(), version: 'v2', runId: 'run-1', trainingJobName: 'job-v2' };
    const abTest = {
      challenger,
      challengerWeight: 0.5,
      startedAt: '2026-11-25T00:00:00.000Z',
      rounds: 1,
    };
    const deps = {
      store,
      endpoint: stubEndpoint(calls),
      modelCard: async () => card(abTest),
      now: () => NOW,
    };

    // Act
    const files = await backtestServedModels(
      { runId: 'run-1', predictionLength: P, maxDevices: 2 },
      deps,
    );

    // Assess
    expect(files.map((f) => [f.version, f.role])).toEqual([
      ['v1', 'champion'],
      ['v2', 'challenger'],
    ]);
    expect(new Set(files[0]?.windows.map((w) => w.deviceId))).toEqual(sampleDevices(DEVICES, 2));
    expect(new Set(calls.map((c) => c.variant))).toEqual(new Set(['champion', 'challenger']));
  });
});

describe('evaluate with backtests', () => {
  it('decides as before and leaves a backtest GET /accuracy summarises', async () => {
    // Prepare
    const store = await lake();
    const deps = {
      store,
      endpoint: stubEndpoint([]),
      modelCard: async () => card(),
      now: () => NOW,
    };

    // Act
    const decision = await makeEvaluateHandler(deps)(
      {
        challengerMetrics: [{ MetricName: 'test:mean_wQuantileLoss', Value: 0.1 }],
        championVersion: 'v1',
        championRecentWql: 0.2,
        championBacktestWql: 0.2,
        promotionMargin: 0.02,
        runId: 'run-1',
        predictionLength: String(P),
      } as never,
      {} as never,
    );
    const res = await makeAccuracyHandler({ store, now: () => NOW, periodHours: 6 })(
      { queryStringParameters: { metric: 'o3' } } as never,
      {} as never,
    );
    const fleet = FleetAccuracyResponse.parse(JSON.parse(res.body));

    // Assess: every actual is 1..4 above the stub's median (last value), inside the band only at +1.
    expect(decision).toMatchObject({ promote: true });
    expect(fleet.backtests).toHaveLength(1);
    expect(fleet.backtests[0]).toMatchObject({
      version: 'v1',
      devices: 3,
      origins: 3,
      points: 36,
      coverage80: 0.25,
    });
  });
});
