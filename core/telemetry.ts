// Telemetry contract v1 (docs/ingestion.md "Telemetry v1") and its one validator: what a device
// sends, how a message is checked and normalised into a Reading, and the reason a bad one is
// quarantined with. The ETL twin and update-context (core/curated/rows) and the devices' tests
// call this (the ingest rule does not judge readings: it stores every JSON object, as on AWS);
// glue/etl_job.py implements the same rules and reason texts in Python, and
// test/fixtures/lake/golden.json pins the two engines together.
// Also maps the legacy payload of the original Node.js device. Pure: the clock is a parameter.
//
// Hand-written rather than a schema library: the ETL runs it once per raw line, and a generic
// schema's machinery was the largest single cost of the local ETL (profiled at ~40% of the run).
// One deliberate difference from `Date.parse`: a timestamp must name a real calendar instant
// (no 2026-02-30, no 24:00), because V8 silently rolls such dates over while Python does not,
// and the two engines must agree.
import { METRICS, type Metric } from './metrics.js';

export const TOPIC_PREFIX = 'smogcast';
export const telemetryTopic = (deviceId: string): string => `${TOPIC_PREFIX}/${deviceId}/telemetry`;
export const TELEMETRY_TOPIC_FILTER = `${TOPIC_PREFIX}/+/telemetry`;

/** The IoT rule that writes telemetry to Firehose (serverless.yml TelemetryTopicRule). */
export const telemetryRuleName = (stage: string): string => `smogcast_telemetry_${stage}`;
/** The first two levels of a Basic Ingest topic: $aws/rules/<rule>/<topic>. */
export const BASIC_INGEST_PREFIX = '$aws/rules/';
/**
 * Basic Ingest: a device publishes straight to the telemetry rule, skipping the broker (and its
 * messaging charge). The rule's topic() sees the topic without the `$aws/rules/<rule>/` prefix.
 */
export const basicIngestTopic = (rule: string, deviceId: string): string =>
  `${BASIC_INGEST_PREFIX}${rule}/${telemetryTopic(deviceId)}`;

const BASIC_INGEST = /^\$aws\/rules\/([^/]+)\/(.*)$/;

/** A topic as its rule sees it: Basic Ingest's prefix removed, and the rule it names. */
export const ruleTopicOf = (topic: string): { topic: string; rule?: string } => {
  const m = BASIC_INGEST.exec(topic);
  return m ? { topic: m[2] as string, rule: m[1] as string } : { topic };
};

/** The device id in a telemetry topic, or undefined when the topic is not one. */
export const deviceIdFromTopic = (topic: string): string | undefined => {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === TOPIC_PREFIX && parts[2] === 'telemetry'
    ? parts[1]
    : undefined;
};

/** Concentrations above this (µg/m³) are physically impossible for an ambient sensor. */
export const MAX_CONCENTRATION = 100_000;
/**
 * Readings stamped further than this ahead of their arrival (receivedAt) are rejected: a device
 * clock a little fast is tolerated, a reading from tomorrow is not (it would move the training
 * window's end, see prepare-deepar).
 */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Readings stamped before this instant are rejected (year 0000, 1677, 1900, the epoch …). */
export const EARLIEST_READING_MS = Date.UTC(2000, 0, 1);
export const EARLIEST_READING_ISO = '2000-01-01T00:00:00Z';

/** A telemetry v1 message as a device sends it (the validator checks every field). */
export interface TelemetryV1 {
  /** 1–128 of [A-Za-z0-9_.:-]; must equal the topic's device id when that is known. */
  deviceId: string;
  /** ISO-8601 in UTC (Z or ±00:00), seconds and fraction optional. */
  ts: string;
  seq?: number | undefined;
  lat?: number | null | undefined;
  lon?: number | null | undefined;
  o3?: number | null | undefined;
  pm25?: number | null | undefined;
  pm10?: number | null | undefined;
  co?: number | null | undefined;
  so2?: number | null | undefined;
  no2?: number | null | undefined;
}

/** One normalised reading: what the lake's curated layer stores. */
export type Reading = {
  deviceId: string;
  /** Epoch milliseconds, UTC. */
  ts: number;
  seq: number | null;
  lat: number | null;
  lon: number | null;
} & Record<Metric, number | null>;

export type ParseResult = { ok: true; reading: Reading } | { ok: false; reason: string };

export interface ParseContext {
  /** Device id taken from the MQTT topic the message arrived on, when known. */
  topicDeviceId?: string;
  /** Wall clock for the far-future check, epoch ms. */
  now: number;
}

export const isLegacyPayload = (message: Record<string, unknown>): boolean =>
  !('deviceId' in message) && ('ozone' in message || 'particullate_matter' in message);

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

/** The type name a reason prints in "expected X, received Y" (NaN and Infinity by name). */
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

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

// One-entry memos: consecutive lines of a delivery mostly repeat the device and, for a fleet
// reporting on the same clock, the timestamp. Checking a string once is enough.
let lastDeviceId = '';
let lastTs = '';
let lastEpoch: number | undefined;

const isDeviceId = (value: string): boolean => {
  if (value === lastDeviceId) return true;
  if (!DEVICE_ID.test(value)) return false;
  lastDeviceId = value;
  return true;
};

/** parseIsoUtc, or null when the text is not even ISO_UTC-shaped; memoised on the last text. */
const epochOf = (ts: string): number | undefined | null => {
  if (ts === lastTs) return lastEpoch;
  if (!ISO_UTC.test(ts)) return null;
  lastEpoch = parseIsoUtc(ts);
  lastTs = ts;
  return lastEpoch;
};

const inConcentrationRange = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  (typeof value === 'number' && value >= 0 && value <= MAX_CONCENTRATION);

/**
 * The reason a v1 record (already mapped from legacy) is invalid, or its epoch ms. Shared by
 * parseTelemetry and the ETL's row parser (core/curated/rows).
 */
export const checkRecord = (
  record: Record<string, unknown>,
  context: ParseContext,
): { reason: string } | number => {
  const { deviceId, ts, seq, lat, lon } = record;
  const epoch = typeof ts === 'string' ? epochOf(ts) : null;

  // Fast path first: a well-formed reading is checked without building anything.
  let issues: string[] | undefined;
  if (
    !(typeof deviceId === 'string' && isDeviceId(deviceId)) ||
    epoch === null ||
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
  // Infinity fails the upper bound, so the range test alone is enough on the fast path.
  if (
    !inConcentrationRange(record.o3) ||
    !inConcentrationRange(record.pm25) ||
    !inConcentrationRange(record.pm10) ||
    !inConcentrationRange(record.co) ||
    !inConcentrationRange(record.so2) ||
    !inConcentrationRange(record.no2)
  ) {
    issues ??= [];
    for (const metric of METRICS) checkConcentration(issues, metric, record[metric]);
  }
  if (issues !== undefined && issues.length > 0) return { reason: issues.join('; ') };

  if (context.topicDeviceId !== undefined && deviceId !== context.topicDeviceId) {
    return {
      reason: `deviceId ${deviceId as string} does not match topic device ${context.topicDeviceId}`,
    };
  }
  if (epoch === undefined || epoch === null) return { reason: 'ts: not a valid date' };
  const bounds = checkReadingTime(epoch, context.now);
  if (bounds !== undefined) return { reason: `ts: ${ts as string} ${bounds}` };
  return epoch;
};

/**
 * The one bound on a reading's time, for the ETL twin, update-context and (mirrored) etl_job.py:
 * not before EARLIEST_READING_MS, not more than MAX_CLOCK_SKEW_MS after it arrived.
 * Undefined when the time is acceptable, else the end of the reason ("ts: <ts> " + this).
 */
export const checkReadingTime = (epoch: number, arrivedAt: number): string | undefined => {
  if (epoch < EARLIEST_READING_MS) return `is before ${EARLIEST_READING_ISO}`;
  if (epoch > arrivedAt + MAX_CLOCK_SKEW_MS) return 'is too far in the future';
  return undefined;
};

/** The record mapped to v1 when it is a legacy payload (device id from the topic). */
export const toV1Record = (
  message: Record<string, unknown>,
  topicDeviceId: string | undefined,
): Record<string, unknown> =>
  isLegacyPayload(message) ? fromLegacy(message, topicDeviceId) : message;

// ---------------------------------------------------------------- telemetry v1 batches
//
// A device may send several readings in one message (docs/ingestion.md "Telemetry v1 batch"):
//   {"deviceId":"d","readings":[{"ts":"…","seq":1,"pm25":35.1,…},{"ts":"…","seq":2,…}]}
// Each reading is a v1 message without (or with the same) deviceId; it inherits the batch's.
// One message, one Firehose record, one 5 KB metering unit for many readings: what makes a fleet
// reading every minute affordable. Both forms are accepted forever.

/**
 * Readings one message may hold. IoT Core refuses payloads above 128 KiB; a reading is about
 * 170 bytes in JSON, so 500 (≈ 85 KB) leaves room for wide readings and the rule's fields.
 */
export const MAX_READINGS_PER_MESSAGE = 500;

/** A batch is an object with a `readings` field (a single reading never has one). */
export const isBatchMessage = (message: Record<string, unknown>): boolean => 'readings' in message;

/**
 * The readings of a batch as v1 records (the batch's deviceId filled in where a reading has
 * none), a reading that is not an object as the reason text, or the envelope's reason.
 */
export const batchRecords = (
  message: Record<string, unknown>,
): Array<Record<string, unknown> | string> | { reason: string } => {
  const { readings } = message;
  if (!Array.isArray(readings)) return { reason: `readings: ${expected('array', readings)}` };
  if (readings.length === 0 || readings.length > MAX_READINGS_PER_MESSAGE) {
    return { reason: `readings: must hold 1-${MAX_READINGS_PER_MESSAGE} readings` };
  }
  return readings.map((reading: unknown) => {
    if (typeof reading !== 'object' || reading === null || Array.isArray(reading)) {
      return 'message is not a JSON object';
    }
    const record = reading as Record<string, unknown>;
    return 'deviceId' in record || !('deviceId' in message)
      ? record
      : { deviceId: message.deviceId, ...record };
  });
};

/** The normalised reading of a checked v1 record (absent metrics and position become null). */
export const readingOf = (
  record: Record<string, unknown>,
  ts: number,
  deviceId: string,
): Reading => {
  const { seq, lat, lon } = record;
  return {
    deviceId,
    ts,
    seq: typeof seq === 'number' ? seq : null,
    lat: typeof lat === 'number' ? lat : null,
    lon: typeof lon === 'number' ? lon : null,
    o3: numberOrNull(record.o3),
    pm25: numberOrNull(record.pm25),
    pm10: numberOrNull(record.pm10),
    co: numberOrNull(record.co),
    so2: numberOrNull(record.so2),
    no2: numberOrNull(record.no2),
  };
};

/**
 * Validates one decoded message (v1 or legacy) and normalises it into a Reading.
 * Never throws: a bad message yields `{ ok: false, reason }` for the quarantine.
 */
export const parseTelemetry = (message: unknown, context: ParseContext): ParseResult => {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  const record = toV1Record(message as Record<string, unknown>, context.topicDeviceId);
  const checked = checkRecord(record, context);
  if (typeof checked !== 'number') return { ok: false, reason: checked.reason };
  return { ok: true, reading: readingOf(record, checked, record.deviceId as string) };
};
