import { describe, expect, it } from 'vitest';
import { encodeSeriesLine } from '../../../../core/deepar.js';
import type { ModelCard } from '../../../../core/model-card.js';
import type { DeepArRequest, ModelEndpoint } from '../../../../core/ports.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { scoreAB } from '../../../../functions/score-ab/score-ab.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-20T00:00:00Z');
const actual = (h: number) => 30 + (h % 24);

/** Each variant forecasts the truth plus its own bias; remembers what each was sent. */
class BiasedVariants implements ModelEndpoint {
  sent: Record<string, DeepArRequest[]> = {};
  constructor(private readonly bias: Record<string, number>) {}
  async invoke(request: DeepArRequest, variant?: string) {
    const name = variant ?? 'none';
    this.sent[name] = [...(this.sent[name] ?? []), request];
    const predictions = request.instances.map((instance) => {
      const from = instance.target.length;
      const v = Array.from({ length: 24 }, (_, h) => actual(from + h) + (this.bias[name] ?? 0));
      return { mean: v, quantiles: { '0.1': v, '0.5': v, '0.9': v } };
    });
    return { body: { predictions }, variant: name };
  }
}

const card = (weight: number, hoursOfNewData: number): ModelCard => ({
  version: 'v1',
  runId: 'run-1',
  trainingJobName: 'smogcast-v1',
  modelDataUrl: 's3://lake/v1.tar.gz',
  endpointName: 'smogcast',
  endpointConfigName: 'smogcast-v2',
  variant: 'primary',
  categories: { devices: ['a'], metrics: ['o3', 'pm25'] },
  metrics: {},
  profile: {},
  dataWindowStart: null,
  dataWindowEnd: null,
  deployedAt: '2026-11-20T00:00:00.000Z',
  abTest: {
    challenger: {
      version: 'v2',
      runId: 'run-2',
      trainingJobName: 'smogcast-v2',
      modelDataUrl: 's3://lake/v2.tar.gz',
      categories: { devices: ['b', 'a'], metrics: ['o3', 'pm25'] },
      metrics: {},
      profile: {},
      dataWindowStart: null,
      dataWindowEnd: new Date(START + (48 - hoursOfNewData) * HOUR).toISOString(),
    },
    challengerWeight: weight,
    startedAt: '2026-11-21T00:00:00.000Z',
    rounds: 0,
  },
});

const setup = async () => {
  const store = new MemoryObjectStore('lake');
  await store.put(
    'deepar/run-3/categories.json',
    JSON.stringify({ devices: ['a'], metrics: ['o3', 'pm25'] }),
  );
  const target = Array.from({ length: 48 }, (_, h) => actual(h));
  await store.put(
    'deepar/run-3/test/data.json',
    `${encodeSeriesLine({ start: START, target, cat: [0, 1] })}\n`,
  );
  return store;
};

const input = { runId: 'run-3', promotionMargin: 0.02, abStep: 0.25 };

/**
 * One round on the setup's data against variants biased by `bias`, the challenger at `weight`
 * after `hours` new hours; the endpoint is returned to show what each variant was sent.
 */
const round = async (
  store: MemoryObjectStore,
  bias: Record<string, number>,
  weight: number,
  hours = 12,
) => {
  const endpoint = new BiasedVariants(bias);
  const result = await scoreAB(input, {
    store,
    endpoint,
    modelCard: async () => card(weight, hours),
  });
  return { endpoint, result };
};

describe('score-ab', () => {
  it('is inactive without an A/B test', async () => {
    const store = await setup();
    const result = await scoreAB(input, {
      store,
      endpoint: new BiasedVariants({}),
      modelCard: async () => ({ ...card(0.5, 12), abTest: undefined }),
    });
    expect(result.active).toBe(false);
  });

  it('waits until enough hours arrived after the challenger was trained', async () => {
    const store = await setup();
    const { result } = await round(store, {}, 0.5, 3);
    expect(result).toMatchObject({ active: true, action: 'none', hours: 3 });
  });

  it('scores each variant with its own categories and moves traffic toward the better one', async () => {
    const store = await setup();
    const { endpoint, result } = await round(store, { champion: 10, challenger: 1 }, 0.5);
    expect(result).toMatchObject({
      active: true,
      action: 'shift',
      challengerWeight: 0.75,
      championWeight: 0.25,
      hours: 12,
    });
    // Device "a" is index 0 for the champion, 1 for the challenger; 12 new hours held out.
    expect(endpoint.sent.champion?.[0]?.instances[0]?.cat).toEqual([0, 1]);
    expect(endpoint.sent.challenger?.[0]?.instances[0]?.cat).toEqual([1, 1]);
    expect(endpoint.sent.challenger?.[0]?.instances[0]?.target).toHaveLength(36);
  });

  it('concludes when a variant reaches 90% of the traffic, naming the model to deploy alone', async () => {
    const store = await setup();
    const { result: towardChampion } = await round(store, { champion: 1, challenger: 10 }, 0.25);
    expect(towardChampion).toMatchObject({
      action: 'conclude',
      winner: 'champion',
      winnerModel: 'smogcast-v1',
      challengerWeight: 0,
      // what models/serving.json names until the conclusion is recorded
      servingChallengerWeight: 0.25,
      servingChampionWeight: 0.75,
    });
    expect(towardChampion.finalConfigName).toMatch(/^smogcast-v1-final-/);
    const { result: towardChallenger } = await round(store, { champion: 10, challenger: 1 }, 0.75);
    expect(towardChallenger).toMatchObject({
      action: 'conclude',
      winner: 'challenger',
      winnerModel: 'smogcast-v2',
    });
  });

  it('leaves the weights when neither variant is better by the margin', async () => {
    const store = await setup();
    const { result } = await round(store, { champion: 2, challenger: 2 }, 0.5);
    expect(result).toMatchObject({ action: 'none', challengerWeight: 0.5 });
    expect(result.reasons[0]).toMatch(/no clear winner/);
  });
});
