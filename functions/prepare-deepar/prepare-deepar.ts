// curated/ Parquet → DeepAR JSON Lines channels (train/, test/), category maps and a data
// profile, for one retrain run. Split by time: train = test minus the last predictionLength.
// Reads column-wise, one row group at a time, straight into per-series hourly grids: memory is
// bounded by (series × window hours), not by the number of readings in the lake.

import {
  type CuratedFile,
  forEachCuratedGroup,
  listCuratedFiles,
} from '../../core/curated/reader.js';
import { encodeSeriesLine } from '../../core/deepar.js';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import { NoCuratedDataError, NotEnoughDataError } from '../../core/errors.js';
import { CURATED_PREFIX, deeparRunPrefix, partitionDate, s3Uri } from '../../core/lake.js';
import { METRICS, type Metric, metricIndex } from '../../core/metrics.js';
import type { ColumnValues } from '../../core/parquet.js';
import type { ObjectStore } from '../../core/ports.js';
import { createRandom, hashString } from '../../core/random.js';
import {
  addToGrid,
  createHourlyGrid,
  gridMeans,
  type HourlyGrid,
  trimGaps,
} from '../../core/resample.js';
import { sortedQuantile } from '../../core/stats.js';
import type {
  Categories,
  DataProfile,
  Histogram,
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

/** `YYYYMMDD-HHmmss` (UTC) of an ISO time, plus `-<6 hex of the run id>` when one is given. */
export const versionOf = (startedAt: string, runId?: string): string => {
  const d = new Date(startedAt);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  // Two executions can start within one second: a short hash of the run id keeps names unique.
  return runId === undefined
    ? stamp
    : `${stamp}-${hashString(runId).toString(16).padStart(8, '0').slice(0, 6)}`;
};

/** Shuffled by a seed hashed from the run id, so a re-run shuffles identically. */
export const seededShuffle = <T>(items: readonly T[], seedText: string): T[] => {
  const out = [...items];
  const random = createRandom(hashString(seedText));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

/** The quantiles every profile reports (the drift check compares them). */
export const PROFILE_QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;
export const HISTOGRAM_BINS = 20;

/** Equal-width bins over [min, max]; the last bin is closed on the right. */
const histogram = (sorted: Float64Array, min: number, max: number): Histogram => {
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const width = (max - min) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) =>
    i === HISTOGRAM_BINS ? max : min + i * width,
  );
  for (const v of sorted) {
    const bin = width > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) / width)) : 0;
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return { edges, counts };
};

export const profileValues = (values: ReadonlyArray<number | null>): MetricProfile => {
  let count = 0;
  for (const v of values) if (v !== null) count++;
  const present = new Float64Array(count);
  let k = 0;
  for (const v of values) if (v !== null) present[k++] = v;
  present.sort();
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
      quantiles: {},
      histogram: { edges: [], counts: [] },
    };
  }
  let sum = 0;
  for (const v of present) sum += v;
  const mean = sum / count;
  let squares = 0;
  for (const v of present) squares += (v - mean) ** 2;
  const min = present[0] as number;
  const max = present[count - 1] as number;
  const quantiles: Record<string, number> = {};
  for (const q of PROFILE_QUANTILES) quantiles[String(q)] = sortedQuantile(present, q);
  return {
    count,
    missingShare,
    mean,
    std: Math.sqrt(squares / count),
    p10: sortedQuantile(present, 0.1),
    p50: sortedQuantile(present, 0.5),
    p90: sortedQuantile(present, 0.9),
    min,
    max,
    quantiles,
    histogram: histogram(present, min, max),
  };
};

/**
 * The newest reading time not after `notAfter` (the run's clock), from the newest partition
 * that holds such a row. Capped so one device with a fast clock cannot move the window's end
 * for the whole fleet: its readings past the run's start are left out of this run.
 */
const newestReading = async (
  store: ObjectStore,
  files: readonly CuratedFile[],
  notAfter: number,
): Promise<number> => {
  const byDt = new Map<string, CuratedFile[]>();
  const lastDt = partitionDate(notAfter);
  for (const file of files) {
    if (file.dt <= lastDt) byDt.set(file.dt, [...(byDt.get(file.dt) ?? []), file]);
  }
  for (const dt of [...byDt.keys()].sort().reverse()) {
    let newest = Number.NEGATIVE_INFINITY;
    await forEachCuratedGroup(store, byDt.get(dt) ?? [], ['ts'], (columns) => {
      for (const value of columns.ts ?? [])
        if (typeof value === 'number' && value > newest && value <= notAfter) newest = value;
    });
    if (Number.isFinite(newest)) return newest;
  }
  throw new NoCuratedDataError(CURATED_PREFIX);
};

/**
 * Hourly grids per (device, metric) over [windowStart, windowStart + hours), fed one row
 * group at a time.
 */
export class SeriesAccumulator {
  /** Readings that fell inside the window. */
  rowsRead = 0;
  private readonly grids = new Map<string, Map<Metric, HourlyGrid>>();

  constructor(
    private readonly windowStart: number,
    private readonly hours: number,
  ) {}

  add(columns: Record<string, ColumnValues>, rows: number): void {
    const deviceIds = columns.deviceId ?? [];
    const ts = columns.ts ?? [];
    const windowEnd = this.windowStart + this.hours * HOUR_MS;
    for (let i = 0; i < rows; i++) {
      const device = deviceIds[i];
      const t = ts[i];
      if (typeof device !== 'string' || typeof t !== 'number') continue;
      if (t < this.windowStart || t >= windowEnd) continue;
      this.rowsRead++;
      let byMetric = this.grids.get(device);
      if (!byMetric) {
        byMetric = new Map();
        this.grids.set(device, byMetric);
      }
      for (const metric of METRICS) {
        const value = columns[metric]?.[i];
        if (typeof value !== 'number' || !Number.isFinite(value)) continue;
        let grid = byMetric.get(metric);
        if (!grid) {
          grid = createHourlyGrid(this.windowStart, this.hours);
          byMetric.set(metric, grid);
        }
        addToGrid(grid, t, value);
      }
    }
  }

  /** Every device seen in the window (sorted: position = cat[0]) and its trimmed series. */
  series(): { devices: string[]; series: Series[] } {
    const devices = [...this.grids.keys()].sort();
    const series: Series[] = [];
    devices.forEach((device, deviceIndex) => {
      const byMetric = this.grids.get(device);
      for (const metric of METRICS) {
        const grid = byMetric?.get(metric);
        if (!grid) continue;
        const trimmed = trimGaps(gridMeans(grid));
        series.push({
          deviceId: device,
          metric,
          start: this.windowStart + trimmed.offset * HOUR_MS,
          target: trimmed.values,
          cat: [deviceIndex, metricIndex(metric)],
        });
      }
    });
    return { devices, series };
  }
}

/** One hourly series per (device, metric) over [windowStart, windowStart + hours). */
export const buildSeries = (
  columns: Record<string, ColumnValues>,
  windowStart: number,
  hours: number,
): { devices: string[]; series: Series[] } => {
  const accumulator = new SeriesAccumulator(windowStart, hours);
  accumulator.add(columns, columns.ts?.length ?? 0);
  return accumulator.series();
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
  const allFiles = await listCuratedFiles(store);
  const newest = await newestReading(store, allFiles, Date.parse(input.startedAt));
  const windowEnd = floorHour(newest) + HOUR_MS;
  // The window never reaches before the oldest partition: grids are sized by real history.
  const oldest = Date.parse(`${allFiles[0]?.dt ?? partitionDate(newest)}T00:00:00Z`);
  const windowStart = Math.max(windowEnd - input.historyDays * 24 * HOUR_MS, oldest);
  const hours = (windowEnd - windowStart) / HOUR_MS;
  const fromDt = partitionDate(windowStart);
  const files = allFiles.filter((file) => file.dt >= fromDt);
  const accumulator = new SeriesAccumulator(windowStart, hours);
  let groups = 0;
  await forEachCuratedGroup(store, files, ['deviceId', 'ts', ...METRICS], (columns, rows) => {
    accumulator.add(columns, rows);
    if (++groups % 20 === 0)
      log(`prepare-deepar ${input.runId}: ${accumulator.rowsRead} rows read`);
  });
  const { devices, series: all } = accumulator.series();

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
  const profile: DataProfile = {
    runId: input.runId,
    windowStart,
    windowEnd,
    series: kept.length,
    skipped,
    metrics,
  };

  await store.put(`${prefix}train/data.json`, jsonLines(train), 'application/jsonlines');
  await store.put(`${prefix}test/data.json`, jsonLines(test), 'application/jsonlines');
  await store.put(`${prefix}categories.json`, JSON.stringify(categories), 'application/json');
  await store.put(`${prefix}profile.json`, JSON.stringify(profile), 'application/json');
  log(
    `prepare-deepar ${input.runId}: ${accumulator.rowsRead} rows → ${kept.length} series, ${skipped} skipped, ${devices.length} devices`,
  );

  return {
    version: versionOf(input.startedAt, input.runId),
    trainUri: s3Uri(store.bucket, `${prefix}train/`),
    testUri: s3Uri(store.bucket, `${prefix}test/`),
    series: kept.length,
    skipped,
    deviceCount: devices.length,
    rowsRead: accumulator.rowsRead,
  };
};
