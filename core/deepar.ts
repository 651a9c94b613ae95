// DeepAR series, once (docs/etl.md "prepare-deepar"): the one series type every door uses (the
// lake's JSON Lines channels, the container's training channels, InvokeEndpoint instances) and
// its codec. On the wire a series is `{"start":"YYYY-MM-DD HH:00:00","target":[…,"NaN",…],
// "cat":[…]}`: DeepAR reads gaps as the string "NaN" and `start` only in this space-separated
// form, so both live here.
import { SmogcastError } from './errors.js';

export class DeepArFormatError extends SmogcastError {
  override readonly name = 'DeepArFormatError';
}

/** One DeepAR series: `start` in DeepAR's text form, gaps as null. */
export interface Series {
  start: string;
  target: Array<number | null>;
  cat?: number[];
  dynamic_feat?: number[][];
}

/** A series as it travels (JSON Lines, InvokeEndpoint instances): gaps as the string "NaN". */
export type DeepArInstance = Omit<Series, 'target'> & { target: Array<number | 'NaN'> };

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:00:00` (UTC): DeepAR's `start` for an hourly series. */
export const formatStart = (epochMs: number): string => {
  if (!Number.isFinite(epochMs)) throw new DeepArFormatError(`start is not a time: ${epochMs}`);
  const d = new Date(epochMs);
  return `${d.toISOString().slice(0, 10)} ${pad(d.getUTCHours())}:00:00`;
};

/** A target on the wire: null and NaN become "NaN". */
export const encodeTarget = (target: ReadonlyArray<number | null>): Array<number | 'NaN'> =>
  target.map((v) => (v === null || !Number.isFinite(v) ? 'NaN' : v));

/** One JSON line (without the trailing newline); `start` as epoch ms or already formatted. */
export const encodeSeriesLine = (
  series: Omit<Series, 'start' | 'dynamic_feat'> & { start: number | string },
): string =>
  JSON.stringify({
    start: typeof series.start === 'number' ? formatStart(series.start) : series.start,
    target: encodeTarget(series.target),
    cat: series.cat,
  });

const START = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** Epoch ms of a `start`, or the problem with it. */
const startOrProblem = (value: unknown): number | string => {
  const match = typeof value === 'string' ? START.exec(value) : null;
  if (!match) return `start must be "YYYY-MM-DD HH:MM:SS", got ${JSON.stringify(value)}`;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC rolls 2026-02-31 over into March; a round trip exposes such dates.
  if (new Date(ms).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) {
    return `start is not a calendar date: ${String(value)}`;
  }
  return ms;
};

/** Epoch ms of a series' `start` (UTC); throws DeepArFormatError when it is not one. */
export const startTime = (start: string): number => {
  const ms = startOrProblem(start);
  if (typeof ms === 'string') throw new DeepArFormatError(ms);
  return ms;
};

export interface DecodeOptions {
  /**
   * Whether a gap may be null as well as "NaN". Requests and training channels from outside may
   * use either; the lake's channels are written by prepare-deepar with "NaN" only.
   */
  nullGaps: boolean;
}

/**
 * The one series decoder: a decoded JSON value → Series, or the problem with it. Returns the
 * problem instead of throwing so each door raises its own error class.
 */
export const decodeSeries = (
  value: unknown,
  options: DecodeOptions = { nullGaps: true },
): Series | string => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'a series must be a JSON object';
  }
  const record = value as Record<string, unknown>;
  const start = startOrProblem(record.start);
  if (typeof start === 'string') return start;
  if (!Array.isArray(record.target)) return 'target must be an array';
  const target: Array<number | null> = [];
  for (const [i, v] of record.target.entries()) {
    if (v === 'NaN' || (v === null && options.nullGaps)) target.push(null);
    else if (typeof v === 'number' && Number.isFinite(v)) target.push(v);
    else {
      const allowed = options.nullGaps ? 'a number, "NaN" or null' : 'a number or "NaN"';
      return `target[${i}] must be ${allowed}, got ${JSON.stringify(v)}`;
    }
  }
  const series: Series = { start: record.start as string, target };
  if (record.cat !== undefined) {
    if (!Array.isArray(record.cat)) return 'cat must be an array';
    for (const [i, v] of record.cat.entries()) {
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
        return `cat[${i}] must be a non-negative integer, got ${JSON.stringify(v)}`;
      }
    }
    series.cat = record.cat as number[];
  }
  if (record.dynamic_feat !== undefined) {
    const feat = record.dynamic_feat;
    if (!Array.isArray(feat) || !feat.every((row) => Array.isArray(row))) {
      return 'dynamic_feat must be an array of arrays of numbers';
    }
    series.dynamic_feat = feat as number[][];
  }
  return series;
};

/** Parses one line of a channel the pipeline wrote; throws DeepArFormatError saying what is wrong. */
export const parseSeriesLine = (line: string): Series => {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    throw new DeepArFormatError('series line is not JSON', { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DeepArFormatError('series line is not a JSON object');
  }
  const series = decodeSeries(raw, { nullGaps: false });
  if (typeof series === 'string') throw new DeepArFormatError(series);
  return series;
};
