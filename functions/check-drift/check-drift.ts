// Decides whether this run trains: data drift (PSI per metric between the readings the champion
// was trained on and the readings that arrived since), model-quality drift (the champion's error
// on the newest held-out window vs its backtest error), model age, or no champion at all. Every
// decision carries its numbers. Profiles are histograms of raw curated readings, so a shift in
// the last few minutes is as visible as one over days.

import { forEachCuratedGroup, listCuratedFiles } from '../../core/curated/reader.js';
import { type Series, startTime } from '../../core/deepar.js';
import { type DriftProfile, DriftProfileBuilder, psiByMetric } from '../../core/drift.js';
import { EndpointNotDeployedError } from '../../core/errors.js';
import { WQL_METRIC } from '../../core/forecast-scores.js';
import { partitionDate } from '../../core/lake.js';
import { METRICS } from '../../core/metrics.js';
import { type DriftReport, type ModelCard, servingFacts } from '../../core/model-card.js';
import type { ModelEndpoint, ObjectStore } from '../../core/ports.js';
import { readCategories, readChannel } from '../common/deepar-channel.js';
import { heldOutWindows, scoreWindows } from '../common/held-out.js';
import type { ServingPointer } from '../common/serving-pointer.js';
import type { CheckDriftInput } from './schema.js';

export interface CheckDriftDeps {
  store: ObjectStore;
  endpoint: ModelEndpoint;
  /** The serving pointer with its ETag, read once: the champion and the facts come from it. */
  servingPointer: () => Promise<ServingPointer | undefined>;
  now: () => number;
}

/**
 * Fewer new readings of a metric than this give no PSI: on 12 bins a sample of n readings has an
 * expected PSI of about 11/n even without drift, so 200 keeps that bias near 0.05.
 */
export const MIN_READINGS_FOR_PSI = 200;

export interface ReadingsProfile {
  profile: DriftProfile;
  count: number;
  /** UTC hours of day present in the sample. */
  hours: Set<number>;
}

/**
 * Histograms of the curated readings stamped in [fromMs, toMs), optionally only those taken at
 * the given UTC hours of day (pollution has a strong daily cycle: a sample of a few hours must be
 * compared with the same hours of the baseline, not with whole days). Streams one Parquet row
 * group at a time into fixed-bin histograms: memory does not grow with the window.
 */
export const readingsProfile = async (
  store: ObjectStore,
  fromMs: number,
  toMs = Number.POSITIVE_INFINITY,
  hours?: Set<number>,
): Promise<ReadingsProfile> => {
  const files = (
    await listCuratedFiles(store, { fromDt: partitionDate(Math.max(0, fromMs)) })
  ).filter((f) => !Number.isFinite(toMs) || f.dt <= partitionDate(toMs));
  const builder = new DriftProfileBuilder();
  const seenHours = new Set<number>();
  let count = 0;
  await forEachCuratedGroup(store, files, ['ts', ...METRICS], (columns, rows) => {
    const ts = columns.ts ?? [];
    for (let i = 0; i < rows; i++) {
      const t = Number(ts[i]);
      if (!(t >= fromMs && t < toMs)) continue;
      const hour = new Date(t).getUTCHours();
      if (hours && !hours.has(hour)) continue;
      seenHours.add(hour);
      count++;
      for (const metric of METRICS) {
        const v = columns[metric]?.[i];
        if (typeof v === 'number') builder.add(metric, v);
      }
    }
  });
  return { profile: builder.profile(), count, hours: seenHours };
};

const seriesStart = (series: Series[]): number =>
  series.reduce((min, s) => Math.min(min, startTime(s.start)), Number.POSITIVE_INFINITY);

const round = (v: number) => Math.round(v * 1000) / 1000;

export const checkDrift = async (
  input: CheckDriftInput,
  deps: CheckDriftDeps,
): Promise<DriftReport> => {
  const series = await readChannel(deps.store, input.runId, 'test');
  // This run's training window, profiled: what later runs compare their new readings with.
  const start = seriesStart(series);
  const { profile } = await readingsProfile(deps.store, Number.isFinite(start) ? start : 0);
  const pointer = await deps.servingPointer();
  const champion: ModelCard | undefined = pointer?.card;
  const report: DriftReport = {
    train: false,
    reasons: [],
    championVersion: champion?.version ?? null,
    championModel: champion?.trainingJobName ?? null,
    psi: {},
    championRecentWql: null,
    championBacktestWql: champion?.metrics[WQL_METRIC] ?? null,
    championAgeHours: null,
    newReadings: 0,
    serving: servingFacts(champion, pointer?.etag ?? null),
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

  // Data drift: the readings that arrived after the champion's training data, against the
  // champion's training readings taken at the same hours of day.
  const windowEnd = Date.parse(champion.dataWindowEnd ?? champion.deployedAt);
  const recent = await readingsProfile(deps.store, windowEnd);
  report.newReadings = recent.count;
  const windowStart = champion.dataWindowStart
    ? Date.parse(champion.dataWindowStart)
    : Number.NEGATIVE_INFINITY;
  // The same hours of day, widened by an hour on each side for a baseline of useful size.
  const hours = new Set([...recent.hours].flatMap((h) => [(h + 23) % 24, h, (h + 1) % 24]));
  const baseline =
    recent.count >= MIN_READINGS_FOR_PSI
      ? (await readingsProfile(deps.store, windowStart, windowEnd, hours)).profile
      : {};
  const sampled = Object.fromEntries(
    Object.entries(recent.profile).filter(([, h]) => (h?.total ?? 0) >= MIN_READINGS_FOR_PSI),
  );
  report.psi = psiByMetric(baseline, sampled) as Record<string, number>;
  for (const [metric, value] of Object.entries(report.psi)) {
    report.psi[metric] = round(value);
    if (value > policy.psiThreshold) {
      reasons.push(
        `data drift: PSI(${metric}) = ${round(value)} > ${policy.psiThreshold} over ${recent.count} new readings`,
      );
    }
  }

  const categories = await readCategories(deps.store, input.runId);
  const windows = categories
    ? heldOutWindows(series, categories, champion.categories, input.predictionLength)
    : [];
  try {
    report.championRecentWql =
      windows.length > 0 ? await scoreWindows(windows, deps.endpoint) : null;
  } catch (error) {
    if (!(error instanceof EndpointNotDeployedError)) throw error;
    reasons.push('the champion endpoint is not serving');
  }
  const recentWql = report.championRecentWql;
  const backtest = report.championBacktestWql;
  if (recentWql !== null) report.championRecentWql = round(recentWql);
  if (
    recentWql !== null &&
    backtest !== null &&
    backtest > 0 &&
    recentWql / backtest > policy.qualityDriftRatio
  ) {
    reasons.push(
      `model drift: champion wQL ${round(recentWql)} on the newest window vs ${round(backtest)} at training (ratio > ${policy.qualityDriftRatio})`,
    );
  }
  if (reasons.length === 0) {
    reasons.push(
      `no drift: max PSI ${round(Math.max(0, ...Object.values(report.psi)))} ≤ ${policy.psiThreshold}, champion wQL ${recentWql === null ? 'n/a' : round(recentWql)} vs ${backtest === null ? 'n/a' : round(backtest)} at training, age ${round(ageHours)} h, ${report.newReadings} new readings`,
    );
    return { ...report, reasons };
  }
  return { ...report, train: true, reasons };
};
