import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ContextHistory, historyShardOf } from '../../../../core/context-shards.js';
import type { DeviceContext } from '../../../../core/device-context.js';
import { keyOfS3Uri } from '../../../../core/engine-artifact.js';
import { CANARY_VARIANT } from '../../../../core/engine-canary.js';
import { EndpointNotDeployedError, ModelInputRejectedError } from '../../../../core/errors.js';
import { contextHistoryKey } from '../../../../core/lake.js';
import { ModelCard } from '../../../../core/model-card.js';
import type { DeepArRequest, ModelEndpoint } from '../../../../core/ports.js';
import {
  IN_PROCESS_VARIANT,
  InProcessEngine,
} from '../../../../functions/common/adapters/in-process-engine.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../../../../functions/common/context-reader.js';
import { readServedHour } from '../../../../functions/common/score-served.js';
import {
  type ForecastDeps,
  forecastWithShadow,
  servedFor,
} from '../../../../functions/forecast/forecast.js';
import type { ServedCount } from '../../../../functions/forecast/forecast-metrics.js';
import { makeHandler } from '../../../../functions/forecast/handler.js';
import type { ForecastResponse } from '../../../../functions/forecast/schema.js';
import { createServedSampler } from '../../../../functions/forecast/served-sampler.js';
import { biasedEngineArtifact } from '../../../fixtures/biased-engine-artifact.js';

const START = Date.parse('2026-11-20T00:00:00Z');
// parse: the card's schema fills the fields this test does not care about.
const card: ModelCard = ModelCard.parse({
  version: '20261125-000000',
  runId: 'run-1',
  trainingJobName: 'smogcast-20261125-000000',
  modelDataUrl: 's3://lake/models/x/output/model.tar.gz',
  endpointName: 'smogcast',
  variant: 'v-20261125-000000',
  categories: { devices: ['sim-001', 'sim-002'], metrics: ['o3', 'pm25'] },
  metrics: {},
  deployedAt: '2026-11-25T00:00:00.000Z',
});
const context: DeviceContext = {
  deviceId: 'sim-002',
  lat: 39.9,
  lon: 116.4,
  lastReadingAt: START + 2 * 3_600_000,
  updatedAt: START + 3 * 3_600_000,
  startHour: START,
  metrics: { pm25: { sum: [10, 0, 30], count: [1, 0, 2] } },
};

/** Records requests and answers like a DeepAR endpoint would (constant forecasts). */
class RecordingEndpoint implements ModelEndpoint {
  requests: DeepArRequest[] = [];
  constructor(
    private readonly deployed = true,
    private readonly rejects = false,
  ) {}
  async invoke(request: DeepArRequest) {
    this.requests.push(request);
    if (!this.deployed) throw new EndpointNotDeployedError('smogcast');
    if (this.rejects)
      throw new ModelInputRejectedError('instances[0].target[1] must be within ±1e15');
    const q = request.configuration?.quantiles ?? [];
    const series = (v: number) => Array.from({ length: 24 }, () => v);
    return {
      body: {
        predictions: [
          {
            mean: series(20),
            quantiles: Object.fromEntries(q.map((k) => [k, series(Number(k) * 40)])),
          },
        ],
      },
      variant: card.variant,
    };
  }
}

const setupDeps = async (
  options: { deployed?: boolean; withCard?: boolean; rejects?: boolean } = {},
) => {
  const store = new MemoryObjectStore();
  const layout = { shards: 2, historyShards: 4, contextHours: 336 };
  const history: ContextHistory = {
    v: 1,
    through: Date.parse('2026-11-25T11:00:00Z'),
    devices: { 'sim-002': { ...context, posAt: context.lastReadingAt } },
  };
  await store.put(contextHistoryKey(historyShardOf('sim-002', layout)), JSON.stringify(history));
  const now = () => Date.parse('2026-11-25T12:00:00Z');
  const endpoint = new RecordingEndpoint(options.deployed ?? true, options.rejects ?? false);
  const deps: ForecastDeps = {
    contexts: createContextReader(store, layout, { now }),
    endpoint,
    predictionLength: 24,
    modelCard: async () => (options.withCard === false ? undefined : card),
    now,
  };
  return { endpoint, deps, store };
};

const setup = async (
  options: { deployed?: boolean; withCard?: boolean; rejects?: boolean } = {},
) => {
  const { endpoint, deps } = await setupDeps(options);
  return { endpoint, handler: makeHandler(deps) };
};

const event = (query: Record<string, string | string[]>): APIGatewayProxyEvent => {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(query)) {
    const values = Array.isArray(v) ? v : [v];
    single[k] = values.at(-1) ?? '';
    multi[k] = values;
  }
  return {
    queryStringParameters: single,
    multiValueQueryStringParameters: multi,
  } as unknown as APIGatewayProxyEvent;
};

const call = async (
  handler: Awaited<ReturnType<typeof setup>>['handler'],
  query: Record<string, string | string[]>,
) => {
  const result = await handler(event(query), {} as never);
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: JSON.parse(result.body),
  };
};

describe('GET /forecast handler', () => {
  it('sends the hourly context with cat features and answers with the contract', async () => {
    // Prepare
    const { handler, endpoint } = await setup();
    // Act
    const res = await call(handler, { deviceId: 'sim-002', metric: 'pm25', horizon: '6' });
    // Assess
    expect(res.status).toBe(200);
    expect(endpoint.requests[0]?.instances[0]).toEqual({
      start: '2026-11-20 00:00:00',
      target: [10, 'NaN', 15],
      cat: [1, 1],
    });
    expect(res.body).toMatchObject({
      deviceId: 'sim-002',
      metric: 'pm25',
      freq: 'H',
      start: '2026-11-20T03:00:00.000Z',
      horizon: 6,
      model: { version: card.version, variant: card.variant },
      generatedAt: '2026-11-25T12:00:00.000Z',
    });
    expect(res.body.mean).toHaveLength(6);
    expect(Object.keys(res.body.quantiles)).toEqual(['0.1', '0.5', '0.9']);
    expect(res.body.quantiles['0.9']).toHaveLength(6);
  });

  it.each([
    [{ metric: 'pm25' }, 'deviceId'],
    [{ deviceId: 'sim-002', metric: 'smoke' }, 'metric must be one of'],
    [{ deviceId: 'sim-002', metric: 'pm25', horizon: '0' }, 'horizon'],
    [{ deviceId: 'sim-002', metric: 'pm25', horizon: '25' }, 'horizon must be between 1 and 24'],
    [{ deviceId: 'sim-002', metric: 'pm25', horizon: '1e3' }, 'horizon must be an integer'],
    [{ deviceId: 'sim-002', metric: 'pm25', horizon: '-1' }, 'horizon must be between 1 and 24'],
    [
      { deviceId: 'sim-002', metric: 'pm25', horizon: '100000' },
      'horizon must be between 1 and 24',
    ],
    [
      { deviceId: 'sim-002', metric: 'pm25', quantiles: '0.1,1.5' },
      'quantile "1.5" is not in (0, 1)',
    ],
    [{ deviceId: 'sim-002', metric: 'pm25', quantiles: 'abc' }, 'quantile'],
    [{ deviceId: '../etc/passwd', metric: 'pm25' }, 'deviceId'],
    [{ deviceId: ['sim-001', 'sim-002'], metric: 'pm25' }, 'given more than once'],
  ])('answers 400 with a JSON error for %j', async (query, message) => {
    const { handler, endpoint } = await setup();
    const res = await call(handler, query);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(message);
    expect(endpoint.requests).toHaveLength(0);
  });

  it('remembers valid queries without confusing an absent parameter with the text "undefined"', async () => {
    const { handler } = await setup();
    expect((await call(handler, { deviceId: 'undefined', metric: 'pm25' })).status).toBe(404);
    const missing = await call(handler, { metric: 'pm25' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('deviceId');
    expect((await call(handler, { deviceId: 'sim-002', metric: 'pm25' })).status).toBe(200);
    expect((await call(handler, { deviceId: 'sim-002', metric: 'pm25' })).status).toBe(200);
  });

  it('answers 404 for an unknown device and for a metric the device never reported', async () => {
    const { handler } = await setup();
    expect((await call(handler, { deviceId: 'sim-404', metric: 'pm25' })).status).toBe(404);
    const noMetric = await call(handler, { deviceId: 'sim-002', metric: 'o3' });
    expect(noMetric.status).toBe(404);
    expect(noMetric.body.error).toContain('no o3 readings');
  });

  it('answers 503 with Retry-After while no model is deployed', async () => {
    for (const options of [{ withCard: false }, { deployed: false }]) {
      const { handler } = await setup(options);
      const res = await call(handler, { deviceId: 'sim-002', metric: 'pm25' });
      expect(res.status).toBe(503);
      expect(res.headers['Retry-After']).toBe('60');
      expect(typeof res.body.error).toBe('string');
    }
  });
});

describe('GET /forecast when the model refuses the input', () => {
  it('answers 422 naming the field the endpoint named, not a 500', async () => {
    // Prepare: an endpoint answering a 4xx, as the model server does for impossible values
    const { handler, endpoint } = await setup({ rejects: true });
    // Act
    const res = await call(handler, { deviceId: 'sim-002', metric: 'pm25' });
    // Assess
    expect(endpoint.requests).toHaveLength(1);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/cannot forecast this series: instances\[0\]\.target\[1\]/);
  });
});

describe('GET /forecast caching', () => {
  const withHeaders = (query: Record<string, string>, headers: Record<string, string>) => ({
    ...event(query),
    headers,
  });

  it('invokes the endpoint once for a burst of identical requests (single-flight)', async () => {
    // Prepare
    const { handler, endpoint } = await setup();
    // Act
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => call(handler, { deviceId: 'sim-002', metric: 'pm25' })),
    );
    // Assess
    expect(endpoint.requests).toHaveLength(1);
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  it('reuses one computation for every horizon in the hour, and 304s a known ETag', async () => {
    const { handler, endpoint } = await setup();
    const full = await call(handler, { deviceId: 'sim-002', metric: 'pm25' });
    const short = await call(handler, { deviceId: 'sim-002', metric: 'pm25', horizon: '3' });
    expect(endpoint.requests).toHaveLength(1);
    expect(short.body.mean).toEqual(full.body.mean.slice(0, 3));
    expect(full.headers['Cache-Control']).toBe('private, max-age=3600');
    const etag = String(full.headers.ETag);
    const result = await handler(
      withHeaders({ deviceId: 'sim-002', metric: 'pm25' }, { 'if-none-match': etag }),
      {} as never,
    );
    expect(result.statusCode).toBe(304);
    expect(result.body).toBe('');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('computes again for another quantile set, and never caches an error', async () => {
    const { handler, endpoint } = await setup();
    await call(handler, { deviceId: 'sim-002', metric: 'pm25' });
    await call(handler, { deviceId: 'sim-002', metric: 'pm25', quantiles: '0.25,0.75' });
    expect(endpoint.requests).toHaveLength(2);
    expect((await call(handler, { deviceId: 'sim-404', metric: 'pm25' })).status).toBe(404);
    expect((await call(handler, { deviceId: 'sim-404', metric: 'pm25' })).status).toBe(404);
  });
});

describe('A/B routing', () => {
  it('targets the variant drawn by the test weights, with that model’s categories and version', async () => {
    const { pickServedBy } = await import('../../../../functions/forecast/forecast.js');
    const abCard = {
      ...card,
      abTest: {
        challenger: {
          ...card,
          version: 'v2',
          categories: { devices: ['sim-002'], metrics: ['pm25'] },
        },
        challengerWeight: 0.3,
        startedAt: card.deployedAt,
        rounds: 0,
      },
    } as unknown as ModelCard;
    expect(pickServedBy(abCard, () => 0.29)).toMatchObject({
      version: 'v2',
      variant: 'challenger',
    });
    expect(pickServedBy(abCard, () => 0.3)).toMatchObject({
      version: card.version,
      variant: 'champion',
    });
    expect(pickServedBy(card)).toEqual({
      version: card.version,
      categories: card.categories,
      variant: undefined,
    });
  });
});

describe('engine canary routing', () => {
  it('sends a device to the canary or the champion by its stable hash, at the canary percent', async () => {
    // Prepare
    const { servedFor } = await import('../../../../functions/forecast/forecast.js');
    const { inCanary } = await import('../../../../core/engine-canary.js');
    const devices = Array.from({ length: 200 }, (_, i) => `dev-${i}`);
    const canaryCard = {
      ...card,
      algorithm: 'smogcast',
      canary: {
        model: {
          ...card,
          version: 'v2',
          algorithm: 'smogcast',
          modelDataUrl: 's3://lake/models/engine/v2/model.json',
        },
        percent: 25,
        startedAt: card.deployedAt,
      },
    } as unknown as ModelCard;

    // Act
    const served = devices.map((d) => servedFor(canaryCard, d, () => 0));

    // Assess: the same device always on the same side; about a quarter on the canary.
    const onCanary = served.filter((s) => s.version === 'v2');
    expect(onCanary.length).toBeGreaterThan(20);
    expect(onCanary.length).toBeLessThan(80);
    devices.forEach((d, i) => {
      expect(served[i]?.role).toBe(inCanary(d, 25) ? 'canary' : 'champion');
      expect(servedFor(canaryCard, d, () => 0.99).version).toBe(served[i]?.version);
    });
    expect(onCanary[0]).toMatchObject({
      variant: 'canary',
      algorithm: 'smogcast',
      modelDataUrl: 's3://lake/models/engine/v2/model.json',
    });
  });
});

describe('engine canary shadow', () => {
  const ENGINE_V1 = 's3://lake/models/engine/v1/model.json';
  const ENGINE_V2 = 's3://lake/models/engine/v2/model.json';
  /** Champion v1 (bias 0) and canary v2 (bias 100) on every device (percent 100). */
  const canaryCard = ModelCard.parse({
    ...card,
    version: 'v1',
    algorithm: 'smogcast',
    modelDataUrl: ENGINE_V1,
    canary: {
      model: { ...card, version: 'v2', algorithm: 'smogcast', modelDataUrl: ENGINE_V2 },
      percent: 100,
      startedAt: card.deployedAt,
    },
  });
  const query = { deviceId: 'sim-002', metric: 'pm25' as const, quantiles: [0.1, 0.5, 0.9] };

  const engineSetup = async (champion = biasedEngineArtifact(0)) => {
    const { deps, store } = await setupDeps();
    await store.put(keyOfS3Uri(ENGINE_V1), champion);
    await store.put(keyOfS3Uri(ENGINE_V2), biasedEngineArtifact(100));
    const counted: ServedCount[] = [];
    return {
      store,
      counted,
      deps: {
        ...deps,
        engine: new InProcessEngine(store),
        modelCard: async () => canaryCard,
        metrics: { served: (c: ServedCount) => counted.push(c) },
      } satisfies ForecastDeps,
    };
  };

  it('forecasts the same request with the champion when asked, uncounted and unserved', async () => {
    // Prepare
    const { deps, counted } = await engineSetup();
    const offered: ForecastResponse[] = [];

    // Act
    const { response, shadow } = await forecastWithShadow(query, deps, undefined, (r) => {
      offered.push(r);
      return true;
    });

    // Assess: the canary answered; the champion's shadow is the same series, 100 lower.
    expect(offered).toEqual([response]);
    expect(response.model).toEqual({ version: 'v2', variant: CANARY_VARIANT });
    expect(shadow?.model).toEqual({ version: 'v1', variant: IN_PROCESS_VARIANT });
    expect(shadow?.start).toBe(response.start);
    expect(shadow?.horizon).toBe(response.horizon);
    response.quantiles['0.5']?.forEach((v, h) => {
      expect(v - (shadow?.quantiles['0.5']?.[h] ?? Number.NaN)).toBeCloseTo(100);
    });
    expect(counted).toEqual([{ version: 'v2', role: 'canary', failed: false }]);
  });

  it('computes no shadow when not asked, when the champion fails, or for a champion device', async () => {
    // Prepare: the champion's artifact is broken.
    const { deps, counted } = await engineSetup('not a model');
    const noneOnCanary = ModelCard.parse({
      ...canaryCard,
      canary: { ...canaryCard.canary, percent: 0 },
    });

    // Act
    const unasked = await forecastWithShadow(query, deps, undefined, () => false);
    const failed = await forecastWithShadow(query, deps, undefined, () => true);
    const championSide = await forecastWithShadow(
      query,
      deps,
      servedFor(noneOnCanary, query.deviceId),
      () => true,
    ).then(
      () => 'answered',
      () => 'failed',
    );

    // Assess: the canary's answers stand, the broken champion's shadow counted nothing; served by
    // the champion itself, the device gets no shadow and the failure counts as the champion's.
    expect(unasked.shadow).toBeUndefined();
    expect(failed.shadow).toBeUndefined();
    expect(failed.response.model.version).toBe('v2');
    expect(championSide).toBe('failed');
    expect(counted).toEqual([
      { version: 'v2', role: 'canary', failed: false },
      { version: 'v2', role: 'canary', failed: false },
      { version: 'v1', role: 'champion', failed: true },
    ]);
  });

  it('samples a sampled canary forecast with its shadow beside it, and serves only the canary', async () => {
    // Prepare
    const { deps, store } = await engineSetup();
    const sampler = createServedSampler({ store, now: deps.now, periodHours: 1, writerId: 'w' });
    const handler = makeHandler(deps, { sampler });

    // Act
    const res = await call(handler, { deviceId: 'sim-002', metric: 'pm25' });
    await sampler.flush();

    // Assess
    expect(res.body.model).toEqual({ version: 'v2', variant: CANARY_VARIANT });
    const samples = await readServedHour(store, Date.parse(res.body.start));
    expect(samples.map((s) => [s.version, s.variant, s.role, s.shadowOf]).sort()).toEqual([
      ['v1', IN_PROCESS_VARIANT, 'shadow', 'v2'],
      ['v2', CANARY_VARIANT, undefined, undefined],
    ]);
  });
});
