// Features of the global lag model, computed the same way when training (at many origins of
// each series) and when serving (at the end of the instance). Everything works in z = log1p(y)
// space and relative to the series' recent level, so one model fits devices of any magnitude
// and a device it has never seen. Gaps (null) are tolerated everywhere: every feature has a
// fallback chain that ends at the metric's typical level, so a brand-new device still gets one.

/** Hours of recent history that define the level the other features are relative to. */
const LEVEL_WINDOW_SEASONS = 7;
/** Seasons averaged into the seasonal profile. */
const PROFILE_SEASONS = 28;

/** Number of features of the point model (the first is the intercept). */
export const POINT_FEATURES = 14;
/** Number of features of the scale model (the first is the intercept). */
export const SCALE_FEATURES = 9;

export const toZ = (y: number): number => Math.log1p(Math.max(0, y));
export const fromZ = (z: number): number => Math.max(0, Math.expm1(z));

/** Prefix sums over one series, so every windowed mean is O(1). */
export interface SeriesView {
  z: Float64Array;
  season: number;
  /** Phase (position within the season) of index 0. */
  phase0: number;
  /** Fraction of a year at index 0, and per step (the annual cycle of the spread). */
  year0: number;
  yearPerStep: number;
  cumSum: Float64Array;
  cumCount: Float64Array;
  /** Per-phase running sums: phaseSum[i] = z[i] + phaseSum[i - season]. */
  phaseSum: Float64Array;
  phaseCount: Float64Array;
  /** Prefix sums of |z[i] - z[i-1]| over pairs where both are observed. */
  cumAbsDiff: Float64Array;
  cumDiffCount: Float64Array;
  /** Index of the last observation at or before i, -1 when none. */
  lastObs: Int32Array;
}

export const viewSeries = (
  target: ReadonlyArray<number | null>,
  season: number,
  phase0: number,
  calendar: { year0: number; yearPerStep: number } = { year0: 0, yearPerStep: 0 },
): SeriesView => {
  const n = target.length;
  const z = new Float64Array(n);
  const cumSum = new Float64Array(n + 1);
  const cumCount = new Float64Array(n + 1);
  const phaseSum = new Float64Array(n);
  const phaseCount = new Float64Array(n);
  const cumAbsDiff = new Float64Array(n + 1);
  const cumDiffCount = new Float64Array(n + 1);
  const lastObs = new Int32Array(n);
  let last = -1;
  for (let i = 0; i < n; i++) {
    const y = target[i];
    const observed = y !== null && y !== undefined;
    const v = observed ? toZ(y) : Number.NaN;
    z[i] = v;
    cumSum[i + 1] = (cumSum[i] ?? 0) + (observed ? v : 0);
    cumCount[i + 1] = (cumCount[i] ?? 0) + (observed ? 1 : 0);
    phaseSum[i] = (observed ? v : 0) + (i >= season ? (phaseSum[i - season] ?? 0) : 0);
    phaseCount[i] = (observed ? 1 : 0) + (i >= season ? (phaseCount[i - season] ?? 0) : 0);
    const prev = i > 0 ? (z[i - 1] ?? Number.NaN) : Number.NaN;
    const pair = observed && !Number.isNaN(prev);
    cumAbsDiff[i + 1] = (cumAbsDiff[i] ?? 0) + (pair ? Math.abs(v - prev) : 0);
    cumDiffCount[i + 1] = (cumDiffCount[i] ?? 0) + (pair ? 1 : 0);
    if (observed) last = i;
    lastObs[i] = last;
  }
  return {
    z,
    season,
    phase0,
    ...calendar,
    cumSum,
    cumCount,
    phaseSum,
    phaseCount,
    cumAbsDiff,
    cumDiffCount,
    lastObs,
  };
};

/** Mean of the observed z in [from, to), NaN when none. */
const windowMean = (v: SeriesView, from: number, to: number): number => {
  const a = Math.max(0, from);
  const count = (v.cumCount[to] ?? 0) - (v.cumCount[a] ?? 0);
  return count > 0 ? ((v.cumSum[to] ?? 0) - (v.cumSum[a] ?? 0)) / count : Number.NaN;
};

/** Mean over the last PROFILE_SEASONS seasons before `end` at the phase of index `j`. */
const phaseMean = (v: SeriesView, end: number, j: number): number => {
  const s = v.season;
  const k = end - 1 - ((((end - 1 - j) % s) + s) % s);
  if (k < 0) return Number.NaN;
  const back = k - PROFILE_SEASONS * s;
  const sum = (v.phaseSum[k] ?? 0) - (back >= 0 ? (v.phaseSum[back] ?? 0) : 0);
  const count = (v.phaseCount[k] ?? 0) - (back >= 0 ? (v.phaseCount[back] ?? 0) : 0);
  return count > 0 ? sum / count : Number.NaN;
};

const valueAt = (v: SeriesView, i: number): number =>
  i >= 0 ? (v.z[i] ?? Number.NaN) : Number.NaN;

const or = (value: number, fallback: number): number => (Number.isNaN(value) ? fallback : value);

/** What the features of every horizon step share at one origin. */
export interface OriginState {
  end: number;
  level: number;
  last: number;
  lastDeviation: number;
  m3: number;
  m24: number;
  logVolatility: number;
}

/**
 * The shared state at origin `end` (history = indices < end). `fallbackLevel` is the metric's
 * typical z, used when the history holds no observation at all.
 */
export const originState = (v: SeriesView, end: number, fallbackLevel: number): OriginState => {
  const s = v.season;
  const lastIndex = end > 0 ? (v.lastObs[end - 1] ?? -1) : -1;
  const last0 = valueAt(v, lastIndex);
  const level = or(windowMean(v, end - LEVEL_WINDOW_SEASONS * s, end), or(last0, fallbackLevel));
  const last = or(last0, level);
  const profileOfLast = lastIndex >= 0 ? or(phaseMean(v, end, lastIndex), last) : last;
  const diffs = (v.cumDiffCount[end] ?? 0) - (v.cumDiffCount[Math.max(0, end - s)] ?? 0);
  const absDiff = (v.cumAbsDiff[end] ?? 0) - (v.cumAbsDiff[Math.max(0, end - s)] ?? 0);
  const volatility = diffs > 0 ? absDiff / diffs : 0.1;
  return {
    end,
    level,
    last,
    lastDeviation: last - profileOfLast,
    m3: or(windowMean(v, end - 3, end), last),
    m24: or(windowMean(v, end - s, end), level),
    logVolatility: Math.log(volatility + 0.02),
  };
};

/**
 * Point features for horizon step h (1-based) into `x`; returns the level they are relative
 * to (the model predicts z - level).
 */
export const pointFeatures = (v: SeriesView, o: OriginState, h: number, x: Float64Array) => {
  const s = v.season;
  const j = o.end + h - 1;
  const profile = or(phaseMean(v, o.end, j), o.level);
  const lagSeason = or(valueAt(v, j - s * Math.ceil(h / s)), profile);
  const week = 7 * s;
  const lagWeek = or(valueAt(v, j - week * Math.ceil(h / week)), lagSeason);
  const theta = (2 * Math.PI * (v.phase0 + j)) / s;
  const L = o.level;
  x[0] = 1;
  x[1] = o.last - L;
  x[2] = o.m3 - L;
  x[3] = o.m24 - L;
  x[4] = lagSeason - L;
  x[5] = lagWeek - L;
  x[6] = profile - L;
  x[7] = o.lastDeviation;
  x[8] = Math.sin(theta);
  x[9] = Math.cos(theta);
  x[10] = Math.sin(2 * theta);
  x[11] = Math.cos(2 * theta);
  // Persistence depends on how high the level is (episodes end abruptly), hence L·deviation.
  x[12] = L;
  x[13] = L * (o.last - L);
};

/** Features of the scale (log |residual|) model at one origin and step. */
export const scaleFeatures = (v: SeriesView, o: OriginState, x: Float64Array, g: Float64Array) => {
  g[0] = 1;
  g[1] = o.logVolatility;
  g[2] = Math.abs(x[1] ?? 0);
  g[3] = Math.abs(o.lastDeviation);
  g[4] = o.level;
  // The hour matters for the spread (ozone's afternoon peak is far less certain), and so does
  // the time of year (winter heating-season episodes are far less predictable).
  g[5] = x[8] ?? 0;
  g[6] = x[9] ?? 0;
  const year = 2 * Math.PI * (v.year0 + o.end * v.yearPerStep);
  g[7] = Math.sin(year);
  g[8] = Math.cos(year);
};

/** Phase of a DeepAR start timestamp within the season (hour of day for hourly data). */
export const startPhase = (start: string, timeFreq: string, season: number): number => {
  const match = /^\d{4}-\d{2}-\d{2}(?: (\d{2}):(\d{2}))?/.exec(start);
  const hour = Number(match?.[1] ?? '0');
  const minute = Number(match?.[2] ?? '0');
  const freq = /^(\d*)(min|H)$/.exec(timeFreq);
  if (!freq) return 0;
  const multiple = Number(freq[1] || '1');
  const minutes = freq[2] === 'H' ? 60 * multiple : multiple;
  return Math.floor((hour * 60 + minute) / minutes) % season;
};

const YEAR_MS = 365.2425 * 24 * 3600 * 1000;
const UNIT_MS: Record<string, number> = {
  min: 60_000,
  H: 3_600_000,
  D: 86_400_000,
  W: 7 * 86_400_000,
  M: YEAR_MS / 12,
};

/** Epoch ms of index 0 (NaN when the start is not a time) and the length of one step. */
export const timeOf = (start: string, timeFreq: string) => {
  const [day = '', time = '00:00:00'] = start.split(' ');
  const startMs = Date.parse(`${day}T${time.length === 5 ? `${time}:00` : time}Z`);
  const freq = /^(\d*)(min|H|D|W|M)$/.exec(timeFreq);
  const stepMs = Number(freq?.[1] || '1') * (UNIT_MS[freq?.[2] ?? 'H'] ?? 3_600_000);
  return { startMs, stepMs };
};

/** Where index 0 falls in the year, and how much of a year one step is. */
export const calendarOf = (start: string, timeFreq: string) => {
  const { startMs: ms, stepMs: step } = timeOf(start, timeFreq);
  return {
    year0: Number.isFinite(ms) ? (ms % YEAR_MS) / YEAR_MS : 0,
    yearPerStep: step / YEAR_MS,
  };
};

/** Number of features of the boosted-trees correction (no intercept: trees need none). */
export const TREE_FEATURES = 14;

/**
 * Features of the trees that correct the point regression at step h, from its (clamped) point
 * features `x` and scale features `g`: the lags and level, the horizon, the hour of the target
 * as a number (trees split it into the hours that matter), recent volatility and the time of
 * year, so interactions such as hour × lag or level × volatility need no hand-made term.
 */
export const treeFeatures = (
  v: SeriesView,
  o: OriginState,
  h: number,
  x: Float64Array,
  g: Float64Array,
  t: Float64Array,
) => {
  for (let i = 1; i <= 7; i++) t[i - 1] = x[i] ?? 0;
  t[7] = x[12] ?? 0;
  t[8] = x[13] ?? 0;
  t[9] = h;
  t[10] = (((v.phase0 + o.end + h - 1) % v.season) + v.season) % v.season;
  t[11] = g[1] ?? 0;
  t[12] = g[7] ?? 0;
  t[13] = g[8] ?? 0;
};
