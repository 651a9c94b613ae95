// One raw Firehose object → its valid rows, column-wise per partition date, and its invalid
// lines (or batch readings, each with the batch's line) with their reasons. Pure; runs inline or in a parse worker (parse-worker.ts).
// A line that is not valid UTF-8 is quarantined with its original bytes (base64), never decoded
// with U+FFFD into a reading the device did not send (glue/etl_job.py keyed_lines does the same).

import { CuratedBatch, type TransferableBatch } from '../../core/curated/batch.js';
import { parseRawMessage, type RawLineResult } from '../../core/curated/rows.js';
import { partitionDate } from '../../core/lake.js';
import { rawObjectBytes } from '../../core/raw-object.js';

export interface ParsedObject {
  lines: number;
  /** Valid rows by partition date (YYYY-MM-DD). */
  partitions: Map<string, CuratedBatch>;
  /** `bytes`: the original line in base64, when it is not valid UTF-8 (`line` shows U+FFFD). */
  bad: Array<{ reason: string; line: string; bytes?: string }>;
}

export const INVALID_UTF8_REASON = 'line is not valid UTF-8';

// ignoreBOM: a BOM stays in the text, as Python's utf-8 codec keeps it.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

const decodeStrict = (bytes: Uint8Array): string | undefined => {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
};

/**
 * parseRawObject of a raw object's bytes (gzip or plain). Valid UTF-8 (the rule writes nothing
 * else) is decoded once; otherwise the object is split on newlines and each line decoded alone.
 */
export const parseRawBytes = (stored: Uint8Array, now: number): ParsedObject => {
  const bytes = rawObjectBytes(stored);
  const text = decodeStrict(bytes);
  if (text !== undefined) return parseRawObject(text, now);
  const decoded: string[] = [];
  const invalid: ParsedObject['bad'] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, bytes[end - 1] === 0x0d ? end - 1 : end);
    start = end + 1;
    const lineText = decodeStrict(line);
    if (lineText !== undefined) decoded.push(lineText);
    else {
      invalid.push({
        reason: INVALID_UTF8_REASON,
        line: lenient.decode(line),
        bytes: Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('base64'),
      });
    }
  }
  const parsed = parseRawObject(decoded.join('\n'), now);
  return { ...parsed, lines: parsed.lines + invalid.length, bad: [...parsed.bad, ...invalid] };
};

const DAY_MS = 86_400_000;

export const parseRawObject = (text: string, now: number): ParsedObject => {
  const partitions = new Map<string, CuratedBatch>();
  const bad: ParsedObject['bad'] = [];
  let lines = 0;
  let start = 0;
  // Partition dates repeat for long runs of lines: cache the last day's bounds and batch.
  let dayStart = Number.POSITIVE_INFINITY;
  let dayEnd = Number.NEGATIVE_INFINITY;
  let batch: CuratedBatch | undefined;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    // Spark's line reader drops a trailing \r too; both engines must see the same line.
    const line =
      text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (line.trim().length === 0) continue;
    lines++;
    const parsed = parseRawMessage(line, now);
    // A batch line gives one result per reading: each is curated or quarantined on its own.
    const results: readonly RawLineResult[] = Array.isArray(parsed) ? parsed : [parsed];
    for (const result of results) {
      if (!result.ok) {
        bad.push({ reason: result.reason, line });
        continue;
      }
      const ts = result.row.ts;
      if (batch === undefined || ts < dayStart || ts >= dayEnd) {
        dayStart = Math.floor(ts / DAY_MS) * DAY_MS;
        dayEnd = dayStart + DAY_MS;
        const dt = partitionDate(ts);
        batch = partitions.get(dt);
        if (!batch) {
          batch = new CuratedBatch(256);
          partitions.set(dt, batch);
        }
      }
      batch.push(result.row);
    }
  }
  return { lines, partitions, bad };
};

/** A ParsedObject as a worker posts it: typed arrays travel without copying. */
export interface TransferableParsed {
  lines: number;
  partitions: Array<[string, TransferableBatch]>;
  bad: ParsedObject['bad'];
}

export const toTransferable = (
  parsed: ParsedObject,
): { message: TransferableParsed; transfer: ArrayBuffer[] } => {
  const transfer: ArrayBuffer[] = [];
  const partitions: Array<[string, TransferableBatch]> = [];
  for (const [dt, batch] of parsed.partitions) {
    const t = batch.toTransferable();
    transfer.push(...t.transfer);
    partitions.push([dt, t.batch]);
  }
  return { message: { lines: parsed.lines, partitions, bad: parsed.bad }, transfer };
};

export const fromTransferable = (message: TransferableParsed): ParsedObject => ({
  lines: message.lines,
  bad: message.bad,
  partitions: new Map(message.partitions.map(([dt, b]) => [dt, CuratedBatch.fromTransferable(b)])),
});
