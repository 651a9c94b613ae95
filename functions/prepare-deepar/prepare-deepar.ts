// curated/ Parquet → DeepAR JSON Lines channels (train/, test/), category maps and a data
// profile, for one retrain run. Split by time: train = test minus the last predictionLength.
import { encodeSeriesLine } from '../common/deepar.js';
import { floorHour, HOUR_MS } from '../common/device-context.js';
import { NoCuratedDataError, NotEnoughDataError } from '../common/errors.js';
import { CURATED_PREFIX, deeparRunPrefix, partitionDate, s3Uri } from '../common/lake.js';
import { METRICS, type Metric, metricIndex } from '../common/metrics.js';
import type { ObjectStore } from '../common/ports.js';
import { addToGrid, createHourlyGrid, gridMeans, trimGaps } from '../common/resample.js';
import { listCuratedFiles, readCuratedColumns } from '../etl/curated.js';
import type {
  Categories,
  DataProfile,
  MetricProfile,
  PrepareInput,
  PrepareOutput,
} from './schema.js';

export interface PrepareDeps {
  store: ObjectStore;
  log?: (msg: string) => void;
}

export interface Series {
  deviceId: string;
  metric: Metric;
  start: number;
  target: Array<number | null>;
  cat: [number, number];
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYYMMDD-HHmmss` (UTC) of an ISO time. */
export const versionOf = (startedAt: string): string => {
  const d = new Date(startedAt);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
};

/** FNV-1a: a stable 32-bit seed from the run id, so a re-run shuffles identically. */
const seedOf = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

/** mulberry32: small, seedable, good enough to decorrelate series order. */
const prng = (seed: number): (() => number) => {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const seededShuffle = <T>(items: readonly T[], seedText: string): T[] => {
  const out = [...items];
  const random = prng(seedOf(seedText));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

/** Linear-interpolated quantile of sorted values (numpy's default). */
const quantile = (sorted: readonly number[], q: number): number => {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] ?? Number.NaN;
  const b = sorted[upper] ?? Number.NaN;
  return a + (b - a) * (position - lower);
};

export const profileValues = (values: ReadonlyArray<number | null>): MetricProfile => {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const count = present.length;
  const missingShare = values.length === 0 ? 0 : (values.length - count) / values.length;
  if (count === 0) {
    return {
      count,
      missingShare,
      mean: null,
      std: null,
      p10: null,
      p50: null,
      p90: null,
      min: null,
      max: null,
    };
  }
  const mean = present.reduce((s, v) => s + v, 0) / count;
  const variance = present.reduce((s, v) => s + (v - mean) ** 2, 0) / count;
  return {
    count,
    missingShare,
    mean,
    std: Math.sqrt(variance),
    p10: quantile(present, 0.1),
    p50: quantile(present, 0.5),
    p90: quantile(present, 0.9),
    min: present[0] ?? null,
    max: present[count - 1] ?? null,
  };
};

const newestReading = async (store: ObjectStore): Promise<number> => {
  const files = await listCuratedFiles(store);
  // Newest partition first; an empty file would be odd but must not end the search.
  for (const file of [...files].reverse()) {
    const ts = (await readCuratedColumns(store, [file], ['ts'])).ts ?? [];
    let newest = Number.NEGATIVE_INFINITY;
    for (const value of ts) if (typeof value === 'number' && value > newest) newest = value;
    if (Number.isFinite(newest)) return newest;
  }
  throw new NoCuratedDataError(CURATED_PREFIX);
};

/** One hourly series per (device, metric) over [windowStart, windowStart + hours). */
export const buildSeries = (
  columns: Record<string, ReadonlyArray<string | number | null>>,
  windowStart: number,
  hours: number,
): { devices: string[]; series: Series[] } => {
  const deviceIds = columns.deviceId ?? [];
  const ts = columns.ts ?? [];
  const inWindow = (i: number): boolean => {
    const t = ts[i];
    return typeof t === 'number' && t >= windowStart && t < windowStart + hours * HOUR_MS;
  };
  const devices = [
    ...new Set(deviceIds.filter((d, i): d is string => typeof d === 'string' && inWindow(i))),
  ].sort();
  const deviceIndex = new Map(devices.map((d, i) => [d, i]));
  const grids = new Map<string, ReturnType<typeof createHourlyGrid>>();
  for (let i = 0; i < ts.length; i++) {
    const device = deviceIds[i];
    const t = ts[i];
    if (typeof device !== 'string' || typeof t !== 'number' || !inWindow(i)) continue;
    for (const metric of METRICS) {
      const value = columns[metric]?.[i];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const key = `${device}\u0000${metric}`;
      let grid = grids.get(key);
      if (!grid) {
        grid = createHourlyGrid(windowStart, hours);
        grids.set(key, grid);
      }
      addToGrid(grid, t, value);
    }
  }
  const series: Series[] = [];
  for (const device of devices) {
    for (const metric of METRICS) {
      const grid = grids.get(`${device}\u0000${metric}`);
      if (!grid) continue;
      const trimmed = trimGaps(gridMeans(grid));
      series.push({
        deviceId: device,
        metric,
        start: windowStart + trimmed.offset * HOUR_MS,
        target: trimmed.values,
        cat: [deviceIndex.get(device) ?? 0, metricIndex(metric)],
      });
    }
  }
  return { devices, series };
};

const presentPoints = (target: ReadonlyArray<number | null>): number =>
  target.reduce<number>((n, v) => (v === null ? n : n + 1), 0);

const jsonLines = (lines: string[]): string => (lines.length ? `${lines.join('\n')}\n` : '');

export const prepareDeepAr = async (
  input: PrepareInput,
  deps: PrepareDeps,
): Promise<PrepareOutput> => {
  const { store } = deps;
  const log = deps.log ?? (() => {});
  const newest = await newestReading(store);
  const hours = input.historyDays * 24;
  const windowEnd = floorHour(newest) + HOUR_MS;
  const windowStart = windowEnd - hours * HOUR_MS;
  const files = await listCuratedFiles(store, { fromDt: partitionDate(windowStart) });
  const columns = await readCuratedColumns(store, files, ['deviceId', 'ts', ...METRICS]);
  const { devices, series: all } = buildSeries(columns, windowStart, hours);

  const minPoints = 2 * input.predictionLength;
  const kept = all.filter((s) => presentPoints(s.target) >= minPoints);
  const skipped = all.length - kept.length;
  if (kept.length === 0) {
    throw new NotEnoughDataError(
      `no series has ${minPoints} hourly points in the ${input.historyDays}-day window ending ${new Date(windowEnd).toISOString()} (${all.length} series too short)`,
    );
  }
  const ordered = seededShuffle(kept, input.runId);

  const prefix = deeparRunPrefix(input.runId);
  const test = ordered.map((s) => encodeSeriesLine(s));
  const train = ordered.map((s) =>
    encodeSeriesLine({ ...s, target: s.target.slice(0, s.target.length - input.predictionLength) }),
  );
  const categories: Categories = { devices, metrics: [...METRICS] };
  const metrics = {} as Record<Metric, MetricProfile>;
  for (const metric of METRICS) {
    metrics[metric] = profileValues(
      kept.filter((s) => s.metric === metric).flatMap((s) => s.target),
    );
  }
  const profile: DataProfile = { runId: input.runId, windowStart, windowEnd, metrics };

  await store.put(`${prefix}train/data.json`, jsonLines(train), 'application/jsonlines');
  await store.put(`${prefix}test/data.json`, jsonLines(test), 'application/jsonlines');
  await store.put(`${prefix}categories.json`, JSON.stringify(categories), 'application/json');
  await store.put(`${prefix}profile.json`, JSON.stringify(profile), 'application/json');
  log(
    `prepare-deepar ${input.runId}: ${kept.length} series, ${skipped} skipped, ${devices.length} devices`,
  );

  return {
    version: versionOf(input.startedAt),
    trainUri: s3Uri(store.bucket, `${prefix}train/`),
    testUri: s3Uri(store.bucket, `${prefix}test/`),
    series: kept.length,
    skipped,
    devices,
  };
};
