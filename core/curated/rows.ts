// Row logic of the ETL, free of I/O (mirrored by glue/etl_job.py, pinned by
// test/fixtures/lake/golden.json): one raw Firehose line → a curated row or a quarantine reason.
import { nestsDeeperThan, tooDeepReason } from '../json-depth.js';
import {
  batchRecords,
  checkRecord,
  isBatchMessage,
  readingOf,
  TOPIC_PREFIX,
  toV1Record,
} from '../telemetry.js';
import type { CuratedRow } from './schema.js';

export type RawLineResult = { ok: true; row: CuratedRow } | { ok: false; reason: string };

/** ECMAScript's time range: receivedAt beyond it cannot be an arrival time (nor an INT64 ms). */
const MAX_EPOCH_MS = 8.64e15;

const TOPIC_START = `${TOPIC_PREFIX}/`;
const TOPIC_END = '/telemetry';
let lastTopic = '';
let lastTopicDevice = '';

/** deviceIdFromTopic without the split (this runs once per line); memoised on the last topic. */
const topicDevice = (topic: string): string | undefined => {
  if (topic === lastTopic) return lastTopicDevice;
  if (!topic.startsWith(TOPIC_START) || !topic.endsWith(TOPIC_END)) return undefined;
  const id = topic.slice(TOPIC_START.length, topic.length - TOPIC_END.length);
  if (id.includes('/') || topic.length < TOPIC_START.length + TOPIC_END.length) return undefined;
  lastTopic = topic;
  lastTopicDevice = id;
  return id;
};

/**
 * One string per device id: JSON.parse makes a fresh copy on every line, and the buffered rows
 * would otherwise keep hundreds of thousands of them alive (and promoted) until a flush.
 */
const interned = new Map<string, string>();
const intern = (id: string): string => {
  const known = interned.get(id);
  if (known !== undefined) return known;
  if (interned.size >= 100_000) interned.clear();
  interned.set(id, id);
  return id;
};

type Envelope =
  | { ok: true; message: Record<string, unknown>; arrivedAt: number; topicDeviceId?: string }
  | { ok: false; reason: string };

/** The JSON object of a raw line, with when it arrived and the device its topic names. */
const envelopeOf = (line: string, fallbackNow: number): Envelope => {
  // Before parsing: the Glue job's json.loads recurses and would fail on deep nesting.
  if (nestsDeeperThan(line)) return { ok: false, reason: tooDeepReason('line') };
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'line is not valid JSON' };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  const { receivedAt, topic } = message as { receivedAt?: unknown; topic?: unknown };
  if (
    receivedAt !== undefined &&
    !(typeof receivedAt === 'number' && Math.abs(receivedAt) <= MAX_EPOCH_MS)
  ) {
    return { ok: false, reason: 'receivedAt: must be epoch milliseconds' };
  }
  let topicDeviceId: string | undefined;
  if (topic !== undefined) {
    if (typeof topic !== 'string') return { ok: false, reason: 'topic: must be a string' };
    topicDeviceId = topicDevice(topic);
    if (topicDeviceId === undefined) {
      return { ok: false, reason: `topic: ${topic} is not a telemetry topic` };
    }
  }
  const arrivedAt = typeof receivedAt === 'number' ? Math.trunc(receivedAt) : fallbackNow;
  return { ok: true, message: message as Record<string, unknown>, arrivedAt, topicDeviceId };
};

const rowOfRecord = (
  message: Record<string, unknown>,
  arrivedAt: number,
  topicDeviceId: string | undefined,
): RawLineResult => {
  const record = toV1Record(message, topicDeviceId);
  const checked = checkRecord(record, { topicDeviceId, now: arrivedAt });
  if (typeof checked !== 'number') return { ok: false, reason: checked.reason };
  const row = readingOf(record, checked, intern(record.deviceId as string)) as CuratedRow;
  row.receivedAt = arrivedAt;
  return { ok: true, row };
};

/**
 * Parses one single-reading line as the IoT rule wrote it: the device message plus
 * `receivedAt` and `topic`. The far-future check runs against `receivedAt` (when the message
 * arrived), not the ETL's clock, so re-processing the same object always gives the same answer.
 * A batch line (telemetry v1 batch) is read by parseRawMessage.
 */
export const parseRawLine = (line: string, fallbackNow: number): RawLineResult => {
  const envelope = envelopeOf(line, fallbackNow);
  if (!envelope.ok) return envelope;
  return rowOfRecord(envelope.message, envelope.arrivedAt, envelope.topicDeviceId);
};

/**
 * Any raw line: a single reading gives one result, a batch (`readings` array) one result per
 * reading, each validated on its own (a bad one's reason starts with `readings[i]: `), or one
 * failure when the envelope itself is bad. Every engine explodes a batch the same way
 * (glue/etl_job.py parse_raw_message).
 */
export const parseRawMessage = (
  line: string,
  fallbackNow: number,
): RawLineResult | RawLineResult[] => {
  const envelope = envelopeOf(line, fallbackNow);
  if (!envelope.ok) return envelope;
  const { message, arrivedAt, topicDeviceId } = envelope;
  if (!isBatchMessage(message)) return rowOfRecord(message, arrivedAt, topicDeviceId);
  const records = batchRecords(message);
  if ('reason' in records) return { ok: false, reason: records.reason };
  return records.map((record, i): RawLineResult => {
    if (typeof record === 'string') return { ok: false, reason: `readings[${i}]: ${record}` };
    const result = rowOfRecord(record, arrivedAt, topicDeviceId);
    return result.ok ? result : { ok: false, reason: `readings[${i}]: ${result.reason}` };
  });
};

/** Identity of a reading: (deviceId, seq) when the device counts, else (deviceId, ts). */
export const rowKey = (row: CuratedRow): string =>
  row.seq === null ? `${row.deviceId}\u0000t${row.ts}` : `${row.deviceId}\u0000s${row.seq}`;
