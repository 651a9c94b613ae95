import { describe, expect, it } from 'vitest';
import { encodeCuratedRows } from '../../../../core/curated/reader.js';
import { type CuratedRow, partitionFileKey } from '../../../../core/curated/schema.js';
import { encodeSeriesLine } from '../../../../core/deepar.js';
import { BIN_EDGES, histogram } from '../../../../core/drift.js';
import type { ModelCard } from '../../../../core/model-card.js';
import type { DeepArRequest, ModelEndpoint } from '../../../../core/ports.js';
import { checkDrift } from '../../../../functions/check-drift/check-drift.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const START = Date.parse('2026-11-20T00:00:00Z');
const P = 4;
const policy = { psiThreshold: 0.2, qualityDriftRatio: 1.5, maxModelAgeHours: 168 };
const level = (scale: number) => Array.from({ length: 48 }, (_, h) => scale * (28 + (h % 24) / 4));

const champion = (overrides: Partial<ModelCard> = {}): ModelCard => ({
  version: 'v1',
  runId: 'run-0',
  trainingJobName: 'smogcast-v1',
  modelDataUrl: 's3://lake/m.tar.gz',
  endpointName: 'smogcast',
  endpointConfigName: 'smogcast-v1',
  variant: 'primary',
  categories: { devices: ['b', 'a'], metrics: ['o3', 'pm25'] },
  metrics: { 'test:mean_wQuantileLoss': 0.1 },
  profile: { pm25: histogram(level(1), BIN_EDGES.pm25) },
  dataWindowStart: new Date(START).toISOString(),
  dataWindowEnd: new Date(START + 38 * 3_600_000).toISOString(),
  deployedAt: new Date(NOW - 24 * 3_600_000).toISOString(),
  ...overrides,
});

/** Answers every instance with a constant forecast, remembering what it was sent. */
class ConstantEndpoint implements ModelEndpoint {
  requests: DeepArRequest[] = [];
  constructor(private readonly value: number) {}
  async invoke(request: DeepArRequest) {
    this.requests.push(request);
    const v = Array.from({ length: P }, () => this.value);
    const predictions = request.instances.map(() => ({
      mean: v,
      quantiles: { '0.1': v, '0.5': v, '0.9': v },
    }));
    return { body: { predictions }, variant: 'primary' };
  }
}

/** Curated readings of devices a and c: `level(1)` up to the champion's window end, `level(scale)` after. */
const curated = (scale: number): CuratedRow[] =>
  level(1).flatMap((v, h) => {
    const ts = START + h * 3_600_000;
    const value = h >= 38 ? v * scale : v;
    // Every 5 minutes: the 10 hours after the window end give 10 × 12 × 2 devices = 240 readings.
    return Array.from({ length: 12 }, (_, k) => k * 300_000).flatMap((offset) =>
      ['a', 'c'].map((deviceId) => ({
        deviceId,
        ts: ts + offset,
        seq: null,
        lat: null,
        lon: null,
        o3: null,
        pm25: value,
        pm10: null,
        co: null,
        so2: null,
        no2: null,
        receivedAt: ts + offset,
      })),
    );
  });

const setup = async (scale: number) => {
  const store = new MemoryObjectStore('lake');
  const rows = curated(scale);
  for (const dt of new Set(rows.map((r) => new Date(r.ts).toISOString().slice(0, 10)))) {
    const day = rows.filter((r) => new Date(r.ts).toISOString().slice(0, 10) === dt);
    await store.put(partitionFileKey(dt), encodeCuratedRows(day));
  }
  await store.put(
    'deepar/run-1/categories.json',
    JSON.stringify({ devices: ['a', 'c'], metrics: ['o3', 'pm25'] }),
  );
  const lines = [
    encodeSeriesLine({ start: START, target: level(scale), cat: [0, 1] }),
    encodeSeriesLine({ start: START, target: level(scale), cat: [1, 1] }),
  ];
  await store.put('deepar/run-1/test/data.json', `${lines.join('\n')}\n`);
  return store;
};

/** One drift check of run-1 at NOW, against the champion `modelCard` gives. */
const check = (
  store: MemoryObjectStore,
  endpoint: ConstantEndpoint,
  modelCard: () => Promise<ModelCard | undefined>,
) =>
  checkDrift(
    { runId: 'run-1', predictionLength: P, policy },
    {
      store,
      endpoint,
      servingPointer: async () => {
        const card = await modelCard();
        return card && { card, etag: '"1"' };
      },
      now: () => NOW,
    },
  );

describe('check-drift', () => {
  it('trains when there is no champion', async () => {
    const store = await setup(1);
    const report = await check(store, new ConstantEndpoint(0), async () => undefined);
    expect(report).toMatchObject({
      train: true,
      reasons: ['no champion model yet'],
      championVersion: null,
      serving: { algorithm: 'none', version: null, abTest: false, canary: false },
    });
    expect(report.profile.pm25?.total).toBe(48 * 12 * 2);
  });

  it("says what serves, the facts the state machine's choices take instead of the card", async () => {
    // Prepare: an engine champion with a canary baking beside it; a DeepAR one with no algorithm
    // recorded (cards written before there was a choice).
    const store = await setup(1);
    const engine = champion({
      algorithm: 'smogcast',
      canary: {
        model: { ...champion(), version: 'v2', algorithm: 'smogcast' },
        percent: 10,
        startedAt: new Date(NOW).toISOString(),
      },
    });
    // Act
    const beside = await check(store, new ConstantEndpoint(33), async () => engine);
    const deepar = await check(store, new ConstantEndpoint(33), async () => champion());
    // Assess: with the pointer's ETag (what the canary's backup copy is conditional on) and
    // the run whose canary it names.
    expect(beside.serving).toEqual({
      algorithm: 'smogcast',
      version: 'v1',
      abTest: false,
      canary: true,
      etag: '"1"',
      canaryRunId: engine.canary?.model.runId,
      canaryVersion: 'v2',
    });
    expect(deepar.serving).toEqual({
      algorithm: 'deepar',
      version: 'v1',
      abTest: false,
      canary: false,
      etag: '"1"',
      canaryRunId: null,
      canaryVersion: null,
    });
  });

  it('skips when data and champion quality are stable, scoring the champion on known devices only', async () => {
    // Prepare: the champion forecasts the actual hourly pattern's level closely.
    const store = await setup(1);
    const endpoint = new ConstantEndpoint(33);
    // Act
    const report = await check(store, endpoint, async () =>
      champion({ metrics: { 'test:mean_wQuantileLoss': 0.2 } }),
    );
    // Assess
    expect(report.train).toBe(false);
    expect(report.reasons[0]).toMatch(/^no drift/);
    expect(report.psi.pm25).toBeLessThan(0.2);
    expect(report.newReadings).toBe(240);
    // Device "a" is champion index 1; device "c" is unknown to the champion and not sent.
    expect(endpoint.requests[0]?.instances).toHaveLength(1);
    expect(endpoint.requests[0]?.instances[0]?.cat).toEqual([1, 1]);
    expect(endpoint.requests[0]?.instances[0]?.target).toHaveLength(48 - P);
    expect(report.championRecentWql).not.toBeNull();
  });

  it('reports data drift, model drift and age with their numbers', async () => {
    const store = await setup(4);
    const report = await check(store, new ConstantEndpoint(0), async () =>
      champion({ deployedAt: new Date(NOW - 200 * 3_600_000).toISOString() }),
    );
    expect(report.train).toBe(true);
    expect(report.reasons.join('\n')).toMatch(/200 h old/);
    expect(report.reasons.join('\n')).toMatch(
      /data drift: PSI\(pm25\) = [\d.]+ > 0.2 over 240 new readings/,
    );
    expect(report.reasons.join('\n')).toMatch(/model drift: champion wQL/);
  });
});
