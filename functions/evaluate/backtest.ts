// Rolling-origin backtests of the served models on this run's newest held-out days: for a
// bounded, deterministic sample of devices, forecasts from `origins` origins one prediction
// length apart (the newest ending at the series' end), each scored against what then happened,
// written to models/backtests/<version>.json for GET /accuracy. The champion is forecast through
// the endpoint; during an A/B test, the challenger through its own variant.
import { hashDeviceId } from '../../core/context-shards.js';
import type { Series } from '../../core/deepar.js';
import { startTime } from '../../core/deepar.js';
import { METRICS } from '../../core/metrics.js';
import { AB_VARIANTS, type Categories, type ModelCard } from '../../core/model-card.js';
import type { ModelEndpoint, ObjectStore } from '../../core/ports.js';
import { type BacktestFile, backtestKey, HOUR_MS } from '../../core/realised-accuracy.js';
import { readCategories, readChannel } from '../common/deepar-channel.js';
import { heldOutWindows } from '../common/held-out.js';

export interface BacktestDeps {
  store: ObjectStore;
  endpoint: ModelEndpoint;
  modelCard: () => Promise<ModelCard | undefined>;
  now: () => number;
}

export interface BacktestOptions {
  runId: string;
  predictionLength: number;
  /** Origins per series, newest first, one prediction length apart. */
  origins?: number;
  /** Devices backtested at most (the sample is the same in every run). */
  maxDevices?: number;
}

const LEVELS = ['0.1', '0.5', '0.9'] as const;
const BATCH = 25;

/** The devices to backtest: the first `max` by the hash of their id (stable across runs). */
export const sampleDevices = (devices: readonly string[], max: number): Set<string> =>
  new Set(
    [...devices]
      .sort((a, b) => hashDeviceId(a) - hashDeviceId(b) || (a < b ? -1 : 1))
      .slice(0, max),
  );

/** The series cut to end `k` prediction lengths before their end (origin k of the backtest). */
const endingEarlier = (series: Series[], k: number, points: number): Series[] =>
  series.map((s) => ({ ...s, target: s.target.slice(0, s.target.length - k * points) }));

const backtestModel = async (
  series: Series[],
  runCategories: Categories,
  model: { version: string; categories: Categories },
  role: string,
  variant: string | undefined,
  deps: BacktestDeps,
  options: BacktestOptions,
): Promise<BacktestFile> => {
  const points = options.predictionLength;
  const windows: BacktestFile['windows'] = [];
  for (let k = 0; k < (options.origins ?? 3); k++) {
    const cut = endingEarlier(series, k, points);
    const held = heldOutWindows(cut, runCategories, model.categories, points);
    for (let i = 0; i < held.length; i += BATCH) {
      const batch = held.slice(i, i + BATCH);
      const { body } = await deps.endpoint.invoke(
        {
          instances: batch.map((w) => w.instance),
          configuration: { output_types: ['quantiles'], quantiles: [...LEVELS] },
        },
        variant,
      );
      batch.forEach((w, j) => {
        const p = body.predictions[j];
        const deviceId = model.categories.devices[w.instance.cat?.[0] ?? -1] ?? '';
        const metric = METRICS[w.instance.cat?.[1] ?? -1] ?? '';
        const start = startTime(w.instance.start) + w.instance.target.length * HOUR_MS;
        const band = (level: string) =>
          w.actual.map((_, h) => {
            const v = p?.quantiles?.[level]?.[h];
            return typeof v === 'number' && Number.isFinite(v) ? v : null;
          });
        windows.push({
          deviceId,
          metric,
          start: new Date(start).toISOString(),
          p10: band('0.1'),
          p50: band('0.5'),
          p90: band('0.9'),
          actual: w.actual.map((y) => (Number.isFinite(y) ? y : null)),
        });
      });
    }
  }
  return {
    v: 1,
    version: model.version,
    role,
    runId: options.runId,
    evaluatedAt: new Date(deps.now()).toISOString(),
    windows,
  };
};

/** Backtests the champion (and an A/B challenger) and stores one file per version. */
export const backtestServedModels = async (
  options: BacktestOptions,
  deps: BacktestDeps,
): Promise<BacktestFile[]> => {
  const [card, categories, all] = await Promise.all([
    deps.modelCard(),
    readCategories(deps.store, options.runId),
    readChannel(deps.store, options.runId, 'test'),
  ]);
  if (!card || !categories) return [];
  const sample = sampleDevices(categories.devices, options.maxDevices ?? 50);
  const series = all.filter((s) => sample.has(categories.devices[s.cat?.[0] ?? -1] ?? ''));
  const models: Array<[{ version: string; categories: Categories }, string, string | undefined]> = [
    [card, 'champion', card.abTest ? AB_VARIANTS.champion : undefined],
  ];
  if (card.abTest) models.push([card.abTest.challenger, 'challenger', AB_VARIANTS.challenger]);
  const files: BacktestFile[] = [];
  for (const [model, role, variant] of models) {
    const file = await backtestModel(series, categories, model, role, variant, deps, options);
    await deps.store.put(backtestKey(model.version), JSON.stringify(file), 'application/json');
    files.push(file);
  }
  return files;
};
