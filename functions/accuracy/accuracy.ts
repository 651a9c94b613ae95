// GET /accuracy core: realised accuracy from what the scoring step left in the lake. One device:
// the scored hours its sampling picked (a known, small set of objects per day), summed per day
// and model version, with the served forecasts beside their actuals and its backtest windows.
// The fleet: one fleet-day object per day, summed per day and model version, and a backtest
// summary per version. Shadow forecasts (the champion's beside a canary's, for the canary check)
// were never served: both views leave them out.
import type {
  AccuracyDay,
  BacktestSummary,
  BacktestWindow,
  DeviceAccuracyResponse,
  FleetAccuracyResponse,
  ServedForecast,
} from '../../core/accuracy.js';
import { mapLimit } from '../../core/map-limit.js';
import type { ObjectStore } from '../../core/ports.js';
import {
  addSums,
  BACKTESTS_PREFIX,
  type BacktestFile,
  backtestSums,
  dateOf,
  emptySums,
  type FleetDay,
  fleetDayKey,
  HOUR_MS,
  isSampled,
  roleOf,
  type ScoredHour,
  type ScoreSums,
  scoreKey,
  scoreShardOf,
  scoresOf,
} from '../../core/realised-accuracy.js';
import { readJsonOrUndefined } from '../common/read-json.js';

const DAY_MS = 24 * HOUR_MS;
const READ_CONCURRENCY = 16;
/** Model versions whose backtests are shown, newest first. */
export const BACKTEST_VERSIONS = 10;

/** The `days` UTC dates ending with today, oldest first. */
export const windowDates = (now: number, days: number): string[] =>
  Array.from({ length: days }, (_, i) => dateOf(now - (days - 1 - i) * DAY_MS));

interface DayTotal {
  date: string;
  version: string;
  variant: string;
  devices: number;
  sums: ScoreSums;
}

const dayOf = (t: DayTotal): AccuracyDay => ({
  date: t.date,
  version: t.version,
  variant: t.variant,
  devices: t.devices,
  ...scoresOf(t.sums),
});

const byDay = (a: AccuracyDay, b: AccuracyDay) =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : a.version < b.version ? -1 : 1;

const readBacktests = async (store: ObjectStore): Promise<BacktestFile[]> => {
  const keys = (await store.list(BACKTESTS_PREFIX))
    .filter((k) => k.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, BACKTEST_VERSIONS);
  const files = await mapLimit(keys, READ_CONCURRENCY, (k) =>
    readJsonOrUndefined<BacktestFile>(store, k),
  );
  return files.filter((f): f is BacktestFile => f !== undefined && Array.isArray(f.windows));
};

export interface AccuracyOptions {
  days: number;
  now: number;
  /** The forecast API's sampling period: which hours hold a device's forecasts. */
  periodHours: number;
}

export const deviceAccuracy = async (
  store: ObjectStore,
  query: { deviceId: string; metric: string },
  options: AccuracyOptions,
): Promise<Omit<DeviceAccuracyResponse, 'generatedAt'>> => {
  const dates = windowDates(options.now, options.days);
  const first = Date.parse(`${dates[0]}T00:00:00Z`);
  const shard = scoreShardOf(query.deviceId);
  const hours: number[] = [];
  for (let h = first; h <= options.now; h += HOUR_MS) {
    if (isSampled(query.deviceId, h, options.periodHours)) hours.push(h);
  }
  const [scored, backtests] = await Promise.all([
    mapLimit(hours, READ_CONCURRENCY, (h) =>
      readJsonOrUndefined<ScoredHour>(store, scoreKey(h, shard)),
    ),
    readBacktests(store),
  ]);
  const totals = new Map<string, DayTotal>();
  const served: ServedForecast[] = [];
  scored.forEach((hour, i) => {
    if (!hour) return;
    const date = dateOf(hours[i] ?? 0);
    for (const row of hour.rows) {
      if (row.deviceId !== query.deviceId || row.metric !== query.metric) continue;
      if (roleOf(row) !== 'served') continue;
      const key = `${date}|${row.version}|${row.variant}`;
      const total = totals.get(key) ?? {
        date,
        version: row.version,
        variant: row.variant,
        devices: 1,
        sums: emptySums(),
      };
      addSums(total.sums, row.sums);
      totals.set(key, total);
    }
    for (const f of hour.forecasts) {
      if (f.deviceId !== query.deviceId || f.metric !== query.metric) continue;
      if (roleOf(f) !== 'served') continue;
      const { deviceId: _d, metric: _m, role: _r, shadowOf: _s, ...forecast } = f;
      served.push(forecast);
    }
  });
  const windows: BacktestWindow[] = backtests.flatMap((file) =>
    file.windows
      .filter((w) => w.deviceId === query.deviceId && w.metric === query.metric)
      .map(({ deviceId: _d, metric: _m, ...w }) => ({
        ...w,
        version: file.version,
        role: file.role,
      })),
  );
  return {
    deviceId: query.deviceId,
    metric: query.metric,
    days: options.days,
    from: dates[0] ?? '',
    to: dates.at(-1) ?? '',
    daily: [...totals.values()].map(dayOf).sort(byDay),
    served: served.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)),
    backtests: windows,
  };
};

export const backtestSummary = (file: BacktestFile, metric?: string): BacktestSummary => {
  const windows = metric ? file.windows.filter((w) => w.metric === metric) : file.windows;
  return {
    version: file.version,
    role: file.role,
    runId: file.runId,
    evaluatedAt: file.evaluatedAt,
    devices: new Set(windows.map((w) => w.deviceId)).size,
    // Origins per series (series may end at different hours, so their origins differ).
    origins: Math.max(
      0,
      ...[
        ...windows.reduce(
          (n, w) =>
            n.set(`${w.deviceId}|${w.metric}`, (n.get(`${w.deviceId}|${w.metric}`) ?? 0) + 1),
          new Map<string, number>(),
        ),
      ].map(([, count]) => count),
    ),
    ...scoresOf(backtestSums(windows)),
  };
};

export const fleetAccuracy = async (
  store: ObjectStore,
  query: { metric?: string },
  options: Omit<AccuracyOptions, 'periodHours'>,
): Promise<Omit<FleetAccuracyResponse, 'generatedAt'>> => {
  const dates = windowDates(options.now, options.days);
  const [days, backtests] = await Promise.all([
    mapLimit(dates, READ_CONCURRENCY, (d) => readJsonOrUndefined<FleetDay>(store, fleetDayKey(d))),
    readBacktests(store),
  ]);
  const totals = new Map<string, DayTotal>();
  days.forEach((day, i) => {
    const date = dates[i] ?? '';
    for (const rows of Object.values(day?.hours ?? {})) {
      // Devices of a day: the most scored in any one of its hours (a device has several hours).
      const hourDevices = new Map<string, number>();
      for (const row of rows) {
        if (query.metric && row.metric !== query.metric) continue;
        if (roleOf(row) !== 'served') continue;
        const key = `${date}|${row.version}|${row.variant}`;
        const total = totals.get(key) ?? {
          date,
          version: row.version,
          variant: row.variant,
          devices: 0,
          sums: emptySums(),
        };
        addSums(total.sums, row.sums);
        totals.set(key, total);
        hourDevices.set(key, Math.max(hourDevices.get(key) ?? 0, row.devices));
      }
      for (const [key, devices] of hourDevices) {
        const total = totals.get(key);
        if (total) total.devices = Math.max(total.devices, devices);
      }
    }
  });
  return {
    metric: query.metric ?? null,
    days: options.days,
    from: dates[0] ?? '',
    to: dates.at(-1) ?? '',
    daily: [...totals.values()].map(dayOf).sort(byDay),
    backtests: backtests.map((file) => backtestSummary(file, query.metric)),
  };
};
