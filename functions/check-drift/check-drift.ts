// Decides whether this run trains: data drift (PSI per metric between the champion's training
// profile and the new data), model-quality drift (the champion's error on the newest held-out
// window vs its backtest error), model age, or no champion at all. Every decision carries its
// numbers.

import { formatStart, type ParsedSeries } from '../common/deepar.js';
import { readCategories, readChannel } from '../common/deepar-channel.js';
import { type DriftProfile, driftProfile, psiByMetric } from '../common/drift.js';
import { EndpointNotDeployedError } from '../common/errors.js';
import { ForecastScorer, WQL_METRIC } from '../common/forecast-scores.js';
import { METRICS, type Metric } from '../common/metrics.js';
import type { Categories, DriftReport, ModelCard } from '../common/model-card.js';
import type { DeepArInstance, ModelEndpoint, ObjectStore } from '../common/ports.js';
import type { CheckDriftInput } from './schema.js';

export interface CheckDriftDeps {
  store: ObjectStore;
  endpoint: ModelEndpoint;
  modelCard: () => Promise<ModelCard | undefined>;
  now: () => number;
}

const SCORE_LEVELS = ['0.1', '0.5', '0.9'];
/** Instances per InvokeEndpoint call: keeps payloads far below the 6 MB limit. */
const BATCH = 25;

const profileOf = (series: ParsedSeries[]): DriftProfile => {
  const values: Partial<Record<Metric, number[]>> = {};
  for (const s of series) {
    const metric = METRICS[s.cat[1] ?? -1];
    if (!metric) continue;
    const bucket = values[metric] ?? [];
    for (const v of s.target) if (Number.isFinite(v)) bucket.push(v);
    values[metric] = bucket;
  }
  return driftProfile(values);
};

interface HeldOut {
  instance: DeepArInstance;
  actual: number[];
}

/** The newest window of each series the champion knows: context = all but the last P points. */
const heldOutWindows = (
  series: ParsedSeries[],
  runCategories: Categories,
  champion: ModelCard,
  predictionLength: number,
): HeldOut[] => {
  const out: HeldOut[] = [];
  for (const s of series) {
    const device = runCategories.devices[s.cat[0] ?? -1];
    const deviceIndex = device === undefined ? -1 : champion.categories.devices.indexOf(device);
    const cut = s.target.length - predictionLength;
    if (deviceIndex < 0 || cut < 1) continue;
    const actual = s.target.slice(cut);
    if (!actual.some(Number.isFinite)) continue;
    const context = s.target.slice(0, cut).map((v) => (Number.isFinite(v) ? v : ('NaN' as const)));
    out.push({
      instance: { start: formatStart(s.start), target: context, cat: [deviceIndex, s.cat[1] ?? 0] },
      actual,
    });
  }
  return out;
};

/** The champion's wQL on the held-out windows, through the serving endpoint. */
export const scoreChampion = async (
  windows: HeldOut[],
  endpoint: ModelEndpoint,
): Promise<number | null> => {
  const scorer = new ForecastScorer(SCORE_LEVELS);
  for (let i = 0; i < windows.length; i += BATCH) {
    const batch = windows.slice(i, i + BATCH);
    const { body } = await endpoint.invoke({
      instances: batch.map((w) => w.instance),
      configuration: { output_types: ['mean', 'quantiles'], quantiles: SCORE_LEVELS },
    });
    batch.forEach((w, j) => {
      const p = body.predictions[j];
      w.actual.forEach((y, h) => {
        const quantiles: Record<string, number> = {};
        for (const level of SCORE_LEVELS)
          quantiles[level] = p?.quantiles?.[level]?.[h] ?? Number.NaN;
        scorer.add({ actual: y, mean: p?.mean?.[h] ?? Number.NaN, quantiles });
      });
    });
  }
  return scorer.metrics()[WQL_METRIC] ?? null;
};

const round = (v: number) => Math.round(v * 1000) / 1000;

export const checkDrift = async (
  input: CheckDriftInput,
  deps: CheckDriftDeps,
): Promise<DriftReport> => {
  const series = await readChannel(deps.store, input.runId, 'test');
  const profile = profileOf(series);
  const champion = await deps.modelCard();
  const report: DriftReport = {
    train: false,
    reasons: [],
    championVersion: champion?.version ?? null,
    psi: {},
    championRecentWql: null,
    championBacktestWql: champion?.metrics[WQL_METRIC] ?? null,
    championAgeHours: null,
    profile,
  };
  if (!champion) {
    return { ...report, train: true, reasons: ['no champion model yet'] };
  }
  const { policy } = input;
  const reasons: string[] = [];

  const ageHours = (deps.now() - Date.parse(champion.deployedAt)) / 3_600_000;
  report.championAgeHours = round(ageHours);
  if (ageHours > policy.maxModelAgeHours) {
    reasons.push(
      `champion ${champion.version} is ${round(ageHours)} h old (max ${policy.maxModelAgeHours} h)`,
    );
  }

  report.psi = psiByMetric(champion.profile, profile) as Record<string, number>;
  for (const [metric, value] of Object.entries(report.psi)) {
    report.psi[metric] = round(value);
    if (value > policy.psiThreshold)
      reasons.push(`data drift: PSI(${metric}) = ${round(value)} > ${policy.psiThreshold}`);
  }

  const categories = await readCategories(deps.store, input.runId);
  const windows = categories
    ? heldOutWindows(series, categories, champion, input.predictionLength)
    : [];
  try {
    report.championRecentWql =
      windows.length > 0 ? await scoreChampion(windows, deps.endpoint) : null;
  } catch (error) {
    if (!(error instanceof EndpointNotDeployedError)) throw error;
    reasons.push('the champion endpoint is not serving');
  }
  const recent = report.championRecentWql;
  const backtest = report.championBacktestWql;
  if (recent !== null) report.championRecentWql = round(recent);
  if (
    recent !== null &&
    backtest !== null &&
    backtest > 0 &&
    recent / backtest > policy.qualityDriftRatio
  ) {
    reasons.push(
      `model drift: champion wQL ${round(recent)} on the newest window vs ${round(backtest)} at training (ratio > ${policy.qualityDriftRatio})`,
    );
  }
  if (reasons.length === 0) {
    reasons.push(
      `no drift: max PSI ${round(Math.max(0, ...Object.values(report.psi)))} ≤ ${policy.psiThreshold}, champion wQL ${recent === null ? 'n/a' : round(recent)} vs ${backtest === null ? 'n/a' : round(backtest)} at training, age ${round(ageHours)} h`,
    );
    return { ...report, reasons };
  }
  return { ...report, train: true, reasons };
};
