// Realised accuracy of the forecasts the API served: which forecasts are sampled (a device every
// `periodHours` hours, picked by a hash of its id, so the sample is the same on every instance
// and a device's chart gets a band every few hours), where samples and scores live in the lake,
// and the scoring itself — sums per (model version, variant, device, metric) that add up exactly
// across hours, days and devices, turned into wQL (p10/p50/p90) and 80% coverage at read time.
// While an engine canary bakes, a sampled canary forecast has a shadow beside it: the champion's
// forecast of the same request, never served. Shadow samples and rows carry role `shadow` (rows
// without a role are served ones, as every row written before shadows existed), and a shadow's
// fleet row also sums the canary forecasts it pairs with, so the two compare on the same devices
// and hours.
import type { AccuracyScores, ServedForecast } from './accuracy.js';
import { hashDeviceId } from './context-shards.js';

export const HOUR_MS = 3_600_000;
export const ACCURACY_PREFIX = 'accuracy/';
export const SERVED_PREFIX = `${ACCURACY_PREFIX}served/`;
export const SCORES_PREFIX = `${ACCURACY_PREFIX}scores/`;
export const FLEET_PREFIX = `${ACCURACY_PREFIX}fleet/`;
export const SCORING_CURSOR_KEY = `${ACCURACY_PREFIX}cursor.json`;
/** Device shards of a scored hour: one device's view reads one shard, not the whole sample. */
export const SCORE_SHARDS = 16;

const LEVELS = [
  ['p10', '0.1', 0.1],
  ['p50', '0.5', 0.5],
  ['p90', '0.9', 0.9],
] as const;
type Level = (typeof LEVELS)[number][0];

const pad = (n: number) => String(n).padStart(2, '0');
/** `YYYY-MM-DD` of a UTC instant. */
export const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const hourOfDay = (ms: number) => pad(new Date(ms).getUTCHours());

/** Whether the forecast of `deviceId` starting at `startHour` is kept. */
export const isSampled = (deviceId: string, startHour: number, periodHours: number): boolean =>
  periodHours <= 1 ||
  hashDeviceId(deviceId) % periodHours === Math.floor(startHour / HOUR_MS) % periodHours;

export const scoreShardOf = (deviceId: string): number => hashDeviceId(deviceId) % SCORE_SHARDS;

/** accuracy/served/YYYY-MM-DD/HH/: the samples of forecasts starting in that hour. */
export const servedHourPrefix = (startHour: number): string =>
  `${SERVED_PREFIX}${dateOf(startHour)}/${hourOfDay(startHour)}/`;

export const scoreKey = (startHour: number, shard: number): string =>
  `${SCORES_PREFIX}${dateOf(startHour)}/${hourOfDay(startHour)}/${String(shard).padStart(2, '0')}.json`;

export const fleetDayKey = (date: string): string => `${FLEET_PREFIX}${date}.json`;

/** served: the API answered with it; shadow: the champion's forecast beside a canary's, unserved. */
export type SampleRole = 'served' | 'shadow';

/** What a shadow forecast stands beside: the canary version that served the request. */
export interface ShadowOf {
  role?: SampleRole;
  /** Set on shadows: the version whose served forecast of the same request this one pairs with. */
  shadowOf?: string;
}

/** The role of a sample or row (absent: served). */
export const roleOf = (x: ShadowOf): SampleRole => x.role ?? 'served';

/** One forecast the API computed and served (or, role shadow, computed beside one), as sampled. */
export interface ServedSample extends ShadowOf {
  version: string;
  variant: string;
  deviceId: string;
  metric: string;
  /** First forecast hour, epoch ms. */
  startHour: number;
  p10: number[];
  p50: number[];
  p90: number[];
}

export interface ServedBatch {
  v: 1;
  samples: ServedSample[];
}

/** Additive error sums of a set of forecast points. */
export interface ScoreSums {
  n: number;
  absActual: number;
  pinball: Record<Level, number>;
  covered: number;
}

export const emptySums = (): ScoreSums => ({
  n: 0,
  absActual: 0,
  pinball: { p10: 0, p50: 0, p90: 0 },
  covered: 0,
});

export const addSums = (into: ScoreSums, other: ScoreSums): ScoreSums => {
  into.n += other.n;
  into.absActual += other.absActual;
  into.covered += other.covered;
  for (const [level] of LEVELS) into.pinball[level] += other.pinball[level];
  return into;
};

/** Adds one point: pinball 2|(y − q̂)(1{y ≤ q̂} − q)| per level, as DeepAR's wQuantileLoss. */
export const addPoint = (
  sums: ScoreSums,
  actual: number,
  forecast: Record<Level, number>,
): void => {
  if (!Number.isFinite(actual)) return;
  for (const [level] of LEVELS) if (!Number.isFinite(forecast[level])) return;
  sums.n += 1;
  sums.absActual += Math.abs(actual);
  for (const [level, , q] of LEVELS) {
    const estimate = forecast[level];
    sums.pinball[level] += 2 * Math.abs((actual - estimate) * ((actual <= estimate ? 1 : 0) - q));
  }
  if (actual >= forecast.p10 && actual <= forecast.p90) sums.covered += 1;
};

const round = (v: number) => Math.round(v * 1e6) / 1e6;

export const scoresOf = (sums: ScoreSums): AccuracyScores => {
  const wql = (level: Level) =>
    sums.absActual > 0 ? round(sums.pinball[level] / sums.absActual) : null;
  const p10 = wql('p10');
  const p50 = wql('p50');
  const p90 = wql('p90');
  return {
    points: sums.n,
    wql: { p10, p50, p90 },
    meanWql:
      p10 === null || p50 === null || p90 === null
        ? null
        : round((sums.pinball.p10 + sums.pinball.p50 + sums.pinball.p90) / 3 / sums.absActual),
    coverage80: sums.n > 0 ? round(sums.covered / sums.n) : null,
  };
};

/** The scores of one device's forecasts of one metric by one model version in one hour. */
export interface ScoreRow extends ShadowOf {
  version: string;
  variant: string;
  deviceId: string;
  metric: string;
  sums: ScoreSums;
}

/** One scored hour of one device shard: its rows and the forecasts beside their actuals. */
export interface ScoredHour {
  v: 1;
  startHour: string;
  rows: ScoreRow[];
  forecasts: Array<ServedForecast & ShadowOf & { deviceId: string; metric: string }>;
}

/**
 * A fleet day: per forecast start hour, the totals per (version, variant, metric, role). A shadow
 * row counts only the devices whose served forecast by `shadowOf` was scored too, and `paired`
 * holds the sums of those served forecasts: the same devices, metric and hours.
 */
export interface FleetRow extends ShadowOf {
  version: string;
  variant: string;
  metric: string;
  devices: number;
  sums: ScoreSums;
  paired?: ScoreSums;
}

export interface FleetDay {
  v: 1;
  date: string;
  hours: Record<string, FleetRow[]>;
}

/** The realised hourly means of a device's metric: values[i] is the hour startHour + i h. */
export interface ActualSeries {
  startHour: number;
  values: Array<number | null>;
}

const sampleKey = (s: ServedSample) =>
  `${s.version}|${s.variant}|${s.deviceId}|${s.metric}|${roleOf(s)}|${s.shadowOf ?? ''}`;

/** The role fields of a shadow (none on a served sample, so served rows keep their old shape). */
const shadowFields = (x: ShadowOf): ShadowOf =>
  roleOf(x) === 'shadow' ? { role: 'shadow', shadowOf: x.shadowOf ?? '' } : {};

/**
 * Scores the samples of one start hour: duplicates (several instances computed the same
 * forecast) count once; an hour without a realised mean is left out of the sums and shows as null.
 */
export const scoreHour = (
  samples: readonly ServedSample[],
  actualOf: (deviceId: string, metric: string) => ActualSeries | undefined,
): { rows: ScoreRow[]; forecasts: ScoredHour['forecasts'] } => {
  const unique = new Map<string, ServedSample>();
  for (const s of samples) if (!unique.has(sampleKey(s))) unique.set(sampleKey(s), s);
  const rows: ScoreRow[] = [];
  const forecasts: ScoredHour['forecasts'] = [];
  for (const s of [...unique.values()].sort((a, b) => (sampleKey(a) < sampleKey(b) ? -1 : 1))) {
    const series = actualOf(s.deviceId, s.metric);
    const sums = emptySums();
    const actual = s.p50.map((_, h) => {
      const i = series ? (s.startHour - series.startHour) / HOUR_MS + h : -1;
      const y = series && i >= 0 ? (series.values[i] ?? null) : null;
      if (y !== null) {
        addPoint(sums, y, {
          p10: s.p10[h] ?? Number.NaN,
          p50: s.p50[h] ?? Number.NaN,
          p90: s.p90[h] ?? Number.NaN,
        });
      }
      return y;
    });
    rows.push({
      version: s.version,
      variant: s.variant,
      deviceId: s.deviceId,
      metric: s.metric,
      ...shadowFields(s),
      sums,
    });
    forecasts.push({
      deviceId: s.deviceId,
      metric: s.metric,
      version: s.version,
      variant: s.variant,
      ...shadowFields(s),
      start: new Date(s.startHour).toISOString(),
      p10: s.p10,
      p50: s.p50,
      p90: s.p90,
      actual,
    });
  }
  return { rows, forecasts };
};

/**
 * Totals per (version, variant, metric, role) of an hour's rows. A shadow row joins its total only
 * when the served row of `shadowOf` for the same device and metric is there, and that served
 * row's sums are added to the total's `paired`: a like-for-like comparison.
 */
export const fleetRows = (rows: readonly ScoreRow[]): FleetRow[] => {
  const servedOf = new Map<string, ScoreRow>();
  for (const row of rows) {
    const key = `${row.version}|${row.deviceId}|${row.metric}`;
    if (roleOf(row) === 'served' && !servedOf.has(key)) servedOf.set(key, row);
  }
  const out = new Map<string, FleetRow & { ids: Set<string> }>();
  for (const row of rows) {
    const shadow = roleOf(row) === 'shadow';
    const pair = shadow ? servedOf.get(`${row.shadowOf}|${row.deviceId}|${row.metric}`) : undefined;
    if (shadow && !pair) continue;
    const key = `${row.version}|${row.variant}|${row.metric}|${roleOf(row)}|${row.shadowOf ?? ''}`;
    let total = out.get(key);
    if (!total) {
      total = {
        version: row.version,
        variant: row.variant,
        metric: row.metric,
        ...shadowFields(row),
        devices: 0,
        sums: emptySums(),
        ...(shadow ? { paired: emptySums() } : {}),
        ids: new Set(),
      };
      out.set(key, total);
    }
    addSums(total.sums, row.sums);
    if (pair && total.paired) addSums(total.paired, pair.sums);
    total.ids.add(row.deviceId);
  }
  return [...out.values()].map(({ ids, ...row }) => ({ ...row, devices: ids.size }));
};

/** models/backtests/<version>.json: a version's rolling-origin backtest on held-out days. */
export const BACKTESTS_PREFIX = 'models/backtests/';
export const backtestKey = (version: string): string => `${BACKTESTS_PREFIX}${version}.json`;

export interface BacktestFile {
  v: 1;
  version: string;
  role: string;
  runId: string;
  evaluatedAt: string;
  windows: Array<{
    deviceId: string;
    metric: string;
    start: string;
    p10: Array<number | null>;
    p50: Array<number | null>;
    p90: Array<number | null>;
    actual: Array<number | null>;
  }>;
}

/** The sums of a backtest's windows (points without an actual or a forecast are left out). */
export const backtestSums = (windows: BacktestFile['windows']): ScoreSums => {
  const sums = emptySums();
  for (const w of windows) {
    w.actual.forEach((y, h) => {
      if (y === null) return;
      addPoint(sums, y, {
        p10: w.p10[h] ?? Number.NaN,
        p50: w.p50[h] ?? Number.NaN,
        p90: w.p90[h] ?? Number.NaN,
      });
    });
  }
  return sums;
};
