// Row logic of the ETL, free of I/O (mirrored by glue/etl_job.py, pinned by
// test/fixtures/lake/golden.json): one raw Firehose line → a curated row or a quarantine reason.
import { deviceIdFromTopic } from '../common/telemetry.js';
import type { CuratedRow } from './schema.js';
import { validateTelemetry } from './validate-telemetry.js';

export type RawLineResult = { ok: true; row: CuratedRow } | { ok: false; reason: string };

/** ECMAScript's time range: receivedAt beyond it cannot be an arrival time (nor an INT64 ms). */
const MAX_EPOCH_MS = 8.64e15;

/**
 * Parses one line as the IoT rule wrote it: the device message plus `receivedAt` and `topic`.
 * The far-future check runs against `receivedAt` (when the message arrived), not the ETL's
 * clock, so re-processing the same object always gives the same answer.
 */
export const parseRawLine = (line: string, fallbackNow: number): RawLineResult => {
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
    topicDeviceId = deviceIdFromTopic(topic);
    if (topicDeviceId === undefined) {
      return { ok: false, reason: `topic: ${topic} is not a telemetry topic` };
    }
  }
  const arrivedAt = typeof receivedAt === 'number' ? Math.trunc(receivedAt) : fallbackNow;
  const parsed = validateTelemetry(message, { topicDeviceId, now: arrivedAt });
  if (!parsed.ok) return parsed;
  const row = parsed.reading as CuratedRow;
  row.receivedAt = arrivedAt;
  return { ok: true, row };
};

/** Identity of a reading: (deviceId, seq) when the device counts, else (deviceId, ts). */
export const rowKey = (row: CuratedRow): string =>
  row.seq === null ? `${row.deviceId}\u0000t${row.ts}` : `${row.deviceId}\u0000s${row.seq}`;
