// DeepAR JSON Lines codec (DESIGN.md "DeepAR JSON Lines"): one series per line,
// `{"start":"YYYY-MM-DD HH:00:00","target":[…,"NaN",…],"cat":[…]}`. DeepAR reads gaps only as
// the string "NaN", and `start` only in this space-separated form, so both live here, once.
import { SmogcastError } from './errors.js';

export class DeepArFormatError extends SmogcastError {
  override readonly name = 'DeepArFormatError';
}

export interface SeriesInput {
  /** Epoch ms of the first target point (hour-aligned for freq "H"). */
  start: number;
  /** One value per period; null (or NaN) marks a gap. */
  target: Array<number | null>;
  cat: number[];
}

export interface ParsedSeries {
  start: number;
  /** NaN marks a gap. */
  target: number[];
  cat: number[];
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:00:00` (UTC): DeepAR's `start` for an hourly series. */
export const formatStart = (epochMs: number): string => {
  if (!Number.isFinite(epochMs)) throw new DeepArFormatError(`start is not a time: ${epochMs}`);
  const d = new Date(epochMs);
  return `${d.toISOString().slice(0, 10)} ${pad(d.getUTCHours())}:00:00`;
};

/** One JSON line (without the trailing newline). */
export const encodeSeriesLine = (series: SeriesInput): string =>
  JSON.stringify({
    start: formatStart(series.start),
    target: series.target.map((v) => (v === null || !Number.isFinite(v) ? 'NaN' : v)),
    cat: series.cat,
  });

const START = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

const parseStart = (value: unknown): number => {
  const match = typeof value === 'string' ? START.exec(value) : null;
  if (!match)
    throw new DeepArFormatError(`start must be "YYYY-MM-DD HH:MM:SS", got ${String(value)}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  // Date.UTC rolls 2026-02-31 over into March; a round trip exposes such dates.
  if (new Date(ms).toISOString().slice(0, 10) !== `${y}-${mo}-${d}`) {
    throw new DeepArFormatError(`start is not a calendar date: ${String(value)}`);
  }
  return ms;
};

const parseTarget = (value: unknown): number[] => {
  if (!Array.isArray(value)) throw new DeepArFormatError('target must be an array');
  return value.map((v, i) => {
    if (v === 'NaN') return Number.NaN;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw new DeepArFormatError(`target[${i}] must be a number or "NaN", got ${JSON.stringify(v)}`);
  });
};

const parseCat = (value: unknown): number[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new DeepArFormatError('cat must be an array');
  return value.map((v, i) => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    throw new DeepArFormatError(
      `cat[${i}] must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  });
};

/** Parses one DeepAR JSON line; throws DeepArFormatError saying what is wrong. */
export const parseSeriesLine = (line: string): ParsedSeries => {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    throw new DeepArFormatError('series line is not JSON', { cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DeepArFormatError('series line is not a JSON object');
  }
  const record = raw as Record<string, unknown>;
  return {
    start: parseStart(record.start),
    target: parseTarget(record.target),
    cat: parseCat(record.cat),
  };
};
