// A hand-written validator for telemetry v1 with the rules and the reason texts of the zod
// schema in functions/common/telemetry.ts. The ETL runs it once per raw line; zod's generic
// machinery was the largest single cost of the local ETL (profiled at ~40% of the run).
// glue/etl_job.py mirrors it line by line; test/fixtures/lake/golden.json pins both.
//
// One deliberate difference from `Date.parse`: a timestamp must name a real calendar instant
// (no 2026-02-30, no 24:00), because V8 silently rolls such dates over while Python does not,
// and the two engines must agree.
import { METRICS, type Metric } from '../common/metrics.js';
import {
  isLegacyPayload,
  MAX_CLOCK_SKEW_MS,
  MAX_CONCENTRATION,
  type ParseContext,
  type ParseResult,
  type Reading,
} from '../common/telemetry.js';

const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const ISO_UTC =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|[+-]00:?00)$/;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const LEGACY_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['ozone', 'o3'],
  ['particullate_matter', 'pm25'],
  ['carbon_monoxide', 'co'],
  ['sulfure_dioxide', 'so2'],
  ['nitrogen_dioxide', 'no2'],
  ['latitude', 'lat'],
  ['longitude', 'lon'],
];

/** The type name zod 4 prints in "expected X, received Y". */
const received = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return 'Infinity';
  }
  return typeof value;
};

const expected = (kind: string, value: unknown): string =>
  `Invalid input: expected ${kind}, received ${received(value)}`;

const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

const checkString = (
  issues: string[],
  field: string,
  value: unknown,
  pattern: RegExp,
  message: string,
): void => {
  if (typeof value !== 'string') issues.push(`${field}: ${expected('string', value)}`);
  else if (!pattern.test(value)) issues.push(`${field}: ${message}`);
};

const checkSeq = (issues: string[], value: unknown): void => {
  if (value === undefined) return;
  if (!isFiniteNumber(value)) {
    issues.push(`seq: ${expected('number', value)}`);
    return;
  }
  if (!Number.isInteger(value)) {
    issues.push('seq: Invalid input: expected int, received number');
    return;
  }
  if (value > MAX_SAFE) issues.push(`seq: Too big: expected int to be <=${MAX_SAFE}`);
  if (value < -MAX_SAFE) issues.push(`seq: Too small: expected int to be >=${-MAX_SAFE}`);
  if (value < 0) issues.push('seq: Too small: expected number to be >=0');
};

const checkRange = (
  issues: string[],
  field: string,
  value: unknown,
  low: number,
  high: number,
): void => {
  if (value === undefined || value === null) return;
  if (!isFiniteNumber(value)) issues.push(`${field}: ${expected('number', value)}`);
  else if (value < low) issues.push(`${field}: Too small: expected number to be >=${low}`);
  else if (value > high) issues.push(`${field}: Too big: expected number to be <=${high}`);
};

const checkConcentration = (issues: string[], field: string, value: unknown): void => {
  if (value === undefined || value === null) return;
  if (!isFiniteNumber(value)) issues.push(`${field}: ${expected('number', value)}`);
  else if (value < 0) issues.push(`${field}: must not be negative`);
  else if (value > MAX_CONCENTRATION) issues.push(`${field}: must be at most ${MAX_CONCENTRATION}`);
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Epoch ms of an ISO_UTC timestamp that names a real instant, else undefined. */
export const parseIsoUtc = (ts: string): number | undefined => {
  const m = ISO_UTC.exec(ts);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const days = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day < 1 || day > days) return undefined;
  // Sub-millisecond digits are truncated, as Date.parse does.
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime();
};

/** The legacy device's epoch seconds or milliseconds (number or digit string) as ISO text. */
const legacyTimestamp = (value: unknown): string | undefined => {
  if (typeof value === 'string')
    return /^\d+$/.test(value) ? legacyTimestamp(Number(value)) : value;
  if (!isFiniteNumber(value)) return undefined;
  const ms = value < 1e11 ? value * 1000 : value;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

const fromLegacy = (
  message: Record<string, unknown>,
  deviceId: string | undefined,
): Record<string, unknown> => {
  const mapped: Record<string, unknown> = { deviceId, ts: legacyTimestamp(message.timestamp) };
  for (const [legacy, field] of LEGACY_FIELDS) {
    if (legacy in message) mapped[field] = message[legacy];
  }
  return mapped;
};

/**
 * Validates one decoded message (v1 or legacy) and normalises it into a Reading, with the
 * reasons parseTelemetry gives. Never throws.
 */
export const validateTelemetry = (message: unknown, context: ParseContext): ParseResult => {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  const input = message as Record<string, unknown>;
  const record = isLegacyPayload(input) ? fromLegacy(input, context.topicDeviceId) : input;
  const { deviceId, ts, seq, lat, lon } = record;

  // Fast path first: a well-formed reading allocates nothing but the result.
  let issues: string[] | undefined;
  if (
    !(typeof deviceId === 'string' && DEVICE_ID.test(deviceId)) ||
    !(typeof ts === 'string' && ISO_UTC.test(ts)) ||
    !(
      seq === undefined ||
      (typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 && seq <= MAX_SAFE)
    ) ||
    !(lat === undefined || lat === null || (isFiniteNumber(lat) && lat >= -90 && lat <= 90)) ||
    !(lon === undefined || lon === null || (isFiniteNumber(lon) && lon >= -180 && lon <= 180))
  ) {
    issues = [];
    checkString(issues, 'deviceId', deviceId, DEVICE_ID, 'must be 1-128 of [A-Za-z0-9_.:-]');
    checkString(issues, 'ts', ts, ISO_UTC, 'must be an ISO-8601 UTC timestamp');
    checkSeq(issues, seq);
    checkRange(issues, 'lat', lat, -90, 90);
    checkRange(issues, 'lon', lon, -180, 180);
  }
  for (const metric of METRICS) {
    const value = record[metric];
    if (
      value === undefined ||
      value === null ||
      (isFiniteNumber(value) && value >= 0 && value <= MAX_CONCENTRATION)
    ) {
      continue;
    }
    issues ??= [];
    checkConcentration(issues, metric, value);
  }
  if (issues !== undefined && issues.length > 0) return { ok: false, reason: issues.join('; ') };

  const id = deviceId as string;
  if (context.topicDeviceId !== undefined && id !== context.topicDeviceId) {
    return {
      ok: false,
      reason: `deviceId ${id} does not match topic device ${context.topicDeviceId}`,
    };
  }
  const epoch = parseIsoUtc(ts as string);
  if (epoch === undefined) return { ok: false, reason: 'ts: not a valid date' };
  if (epoch > context.now + MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: `ts: ${ts as string} is too far in the future` };
  }
  const metric = (name: Metric): number | null => {
    const value = record[name];
    return typeof value === 'number' ? value : null;
  };
  return {
    ok: true,
    reading: {
      deviceId: id,
      ts: epoch,
      seq: typeof seq === 'number' ? seq : null,
      lat: typeof lat === 'number' ? lat : null,
      lon: typeof lon === 'number' ? lon : null,
      o3: metric('o3'),
      pm25: metric('pm25'),
      pm10: metric('pm10'),
      co: metric('co'),
      so2: metric('so2'),
      no2: metric('no2'),
    } satisfies Reading,
  };
};
