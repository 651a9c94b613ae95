// One raw Firehose object → its valid rows, column-wise per partition date, and its invalid
// lines with their reasons. Pure; runs inline or in a parse worker (parse-worker.ts).

import { CuratedBatch, type TransferableBatch } from '../../core/curated/batch.js';
import { parseRawLine } from '../../core/curated/rows.js';
import { partitionDate } from '../../core/lake.js';

export interface ParsedObject {
  lines: number;
  /** Valid rows by partition date (YYYY-MM-DD). */
  partitions: Map<string, CuratedBatch>;
  bad: Array<{ reason: string; line: string }>;
}

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
    const result = parseRawLine(line, now);
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
