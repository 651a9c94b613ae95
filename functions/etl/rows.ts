// Row logic of the ETL, free of I/O (mirrored by glue/etl_job.py): one raw Firehose line → a
// curated row or a quarantine reason; de-duplication and ordering of a partition's rows.
import { deviceIdFromTopic, parseTelemetry } from '../common/telemetry.js';
import type { CuratedRow } from './schema.js';

export type RawLineResult = { ok: true; row: CuratedRow } | { ok: false; reason: string };

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
    !(typeof receivedAt === 'number' && Number.isFinite(receivedAt))
  ) {
    return { ok: false, reason: 'receivedAt: must be epoch milliseconds' };
  }
  let topicDeviceId: string | undefined;
  if (topic !== undefined) {
    topicDeviceId = typeof topic === 'string' ? deviceIdFromTopic(topic) : undefined;
    if (topicDeviceId === undefined) {
      return { ok: false, reason: `topic: ${String(topic)} is not a telemetry topic` };
    }
  }
  const arrivedAt = typeof receivedAt === 'number' ? Math.trunc(receivedAt) : fallbackNow;
  const parsed = parseTelemetry(message, { topicDeviceId, now: arrivedAt });
  if (!parsed.ok) return parsed;
  return { ok: true, row: { ...parsed.reading, receivedAt: arrivedAt } };
};

/** Identity of a reading: (deviceId, seq) when the device counts, else (deviceId, ts). */
export const rowKey = (row: CuratedRow): string =>
  row.seq === null ? `${row.deviceId}\u0000t${row.ts}` : `${row.deviceId}\u0000s${row.seq}`;

const compareRows = (a: CuratedRow, b: CuratedRow): number =>
  a.deviceId < b.deviceId
    ? -1
    : a.deviceId > b.deviceId
      ? 1
      : a.ts - b.ts || (a.seq ?? -1) - (b.seq ?? -1) || a.receivedAt - b.receivedAt;

/**
 * Unique rows sorted by (deviceId, ts). Of duplicates the earliest received wins, so the
 * result does not depend on the order deliveries were processed in.
 */
export const dedupeRows = (
  rows: readonly CuratedRow[],
): { rows: CuratedRow[]; duplicates: number } => {
  const kept = new Map<string, CuratedRow>();
  for (const row of rows) {
    const key = rowKey(row);
    const seen = kept.get(key);
    if (!seen || row.receivedAt < seen.receivedAt) kept.set(key, row);
  }
  return { rows: [...kept.values()].sort(compareRows), duplicates: rows.length - kept.size };
};
