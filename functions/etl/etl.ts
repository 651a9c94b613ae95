// The ETL, local twin of the Glue job (glue/etl_job.py): raw/ NDJSON → curated/ Parquet
// partitions, bad lines → quarantine/. Incremental through a bounded checkpoint.
//
// Memory stays bounded as the lake grows: raw objects are read one at a time, rows are held
// column-wise per partition, and when the buffer passes `maxBufferedRows` the partitions that
// are no longer filling up are merged into the lake and dropped from memory.
//
// Crash safety: partitions are merged (read, de-duplicated, rewritten) before the checkpoint
// is written, and quarantine objects are named after their raw object, so a run that dies at
// any point and is run again ends with exactly one copy of each reading and of each bad line.
import { partitionDate } from '../common/lake.js';
import type { ObjectStore } from '../common/ports.js';
import { decodeText } from '../common/text.js';
import { CuratedBatch } from './batch.js';
import { advanceCheckpoint, pendingRawKeys, readCheckpoint } from './checkpoint.js';
import { curatedPartitionFiles, readCuratedColumns } from './curated.js';
import { parseRawLine } from './rows.js';
import {
  CHECKPOINT_KEY,
  CURATED_COLUMN_NAMES,
  type EtlResult,
  partitionFileKey,
  quarantineKey,
} from './schema.js';

export { EtlCheckpointError } from './checkpoint.js';

export interface EtlInput {
  runId: string;
}

export interface EtlDeps {
  store: ObjectStore;
  now: () => number;
  log?: (msg: string) => void;
  /** Rows buffered before partitions are merged into the lake (default 200,000). */
  maxBufferedRows?: number;
  /** How late a Firehose object may land in an older hour folder (default 48). */
  lateArrivalHours?: number;
}

const PARQUET = 'application/vnd.apache.parquet';

/**
 * Writes that need not block parsing (quarantine objects): started at once, awaited before
 * anything that vouches for them (merged partitions, the checkpoint).
 */
class PendingWrites {
  private writes: Array<Promise<void>> = [];
  private failure: unknown;

  add(write: Promise<void>): void {
    this.writes.push(
      write.catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }

  async settle(): Promise<void> {
    const writes = this.writes;
    this.writes = [];
    await Promise.all(writes);
    if (this.failure !== undefined) throw this.failure;
  }
}
const DAY_MS = 86_400_000;

/** Reads every line of one raw object: valid ones into `sink`, invalid ones returned. */
const parseObject = (
  text: string,
  now: number,
  sink: (dt: string, row: Parameters<CuratedBatch['push']>[0]) => void,
): { lines: number; bad: string[]; reasons: string[] } => {
  const bad: string[] = [];
  const reasons: string[] = [];
  let lines = 0;
  let start = 0;
  // Partition dates repeat for long runs of lines: cache the last day's bounds.
  let dayStart = Number.POSITIVE_INFINITY;
  let dayEnd = Number.NEGATIVE_INFINITY;
  let dt = '';
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim().length === 0) continue;
    lines++;
    const result = parseRawLine(line, now);
    if (!result.ok) {
      bad.push(line);
      reasons.push(result.reason);
      continue;
    }
    const ts = result.row.ts;
    if (ts < dayStart || ts >= dayEnd) {
      dayStart = Math.floor(ts / DAY_MS) * DAY_MS;
      dayEnd = dayStart + DAY_MS;
      dt = partitionDate(ts);
    }
    sink(dt, result.row);
  }
  return { lines, bad, reasons };
};

export const runEtl = async (input: EtlInput, deps: EtlDeps): Promise<EtlResult> => {
  const { store } = deps;
  const log = deps.log ?? (() => {});
  const maxBuffered = deps.maxBufferedRows ?? 200_000;
  const now = deps.now();
  const checkpoint = await readCheckpoint(store);
  const pending = await pendingRawKeys(store, checkpoint, now);
  log(`etl ${input.runId}: ${pending.length} raw objects to process`);

  const buffers = new Map<string, CuratedBatch>();
  let buffered = 0;
  const result: EtlResult = {
    rawObjects: 0,
    lines: 0,
    rows: 0,
    quarantined: 0,
    duplicates: 0,
    partitions: [],
  };
  const touched = new Set<string>();

  const flush = async (dt: string): Promise<void> => {
    const batch = buffers.get(dt);
    if (!batch) return;
    buffers.delete(dt);
    buffered -= batch.length;
    const newRows = batch.length;
    const files = await curatedPartitionFiles(store, dt);
    // Existing rows go first: on a receivedAt tie the stored copy is kept.
    const merged = new CuratedBatch(batch.length + 1024);
    merged.pushColumns(await readCuratedColumns(store, files, CURATED_COLUMN_NAMES));
    const existingRows = merged.length;
    merged.append(batch);
    const { order, duplicates } = merged.dedupe();
    result.duplicates += duplicates;
    // Rows added = kept rows that came from this run (stored copies are pushed first).
    for (const i of order) if (i >= existingRows) result.rows++;
    const key = partitionFileKey(dt);
    await store.put(key, merged.encode(order), PARQUET);
    // Only after the merged file is safely written: drop the files it replaces.
    for (const file of files) if (file.key !== key) await store.delete(file.key);
    touched.add(dt);
    log(
      `etl ${input.runId}: ${key} +${newRows} rows → ${order.length} (${files.length} files merged)`,
    );
  };

  /** Frees memory: merges every partition except the one still filling up, biggest first. */
  const relieve = async (current: string): Promise<void> => {
    const victims = [...buffers.entries()]
      .filter(([dt]) => dt !== current)
      .sort((a, b) => b[1].length - a[1].length);
    for (const [dt] of victims) {
      if (buffered <= maxBuffered / 2) break;
      await flush(dt);
    }
    if (buffered > maxBuffered) await flush(current);
  };

  const background = new PendingWrites();
  // Read one object ahead, so the next object's I/O overlaps this one's parsing.
  const fetch = (i: number) => {
    const key = pending[i];
    if (key === undefined) return undefined;
    const read = store.get(key);
    read.catch(() => undefined); // observed when awaited below
    return read;
  };
  let currentDt = '';
  let next = fetch(0);
  for (let i = 0; i < pending.length; i++) {
    const sourceKey = pending[i] as string;
    const bytes = await next;
    next = fetch(i + 1);
    result.rawObjects++;
    if (result.rawObjects % 500 === 0) {
      log(
        `etl ${input.runId}: ${result.rawObjects}/${pending.length} objects, ${result.lines} lines`,
      );
    }
    if (!bytes) continue; // deleted between list and get: nothing to process
    const parsed = parseObject(decodeText(bytes), now, (dt, row) => {
      let batch = buffers.get(dt);
      if (!batch) {
        batch = new CuratedBatch();
        buffers.set(dt, batch);
      }
      batch.push(row);
      buffered++;
      currentDt = dt;
    });
    result.lines += parsed.lines;
    if (parsed.bad.length > 0) {
      result.quarantined += parsed.bad.length;
      const body = parsed.bad
        .map((line, i) => JSON.stringify({ reason: parsed.reasons[i], sourceKey, line }))
        .join('\n');
      background.add(store.put(quarantineKey(sourceKey), `${body}\n`, 'application/x-ndjson'));
    }
    if (buffered > maxBuffered) {
      await background.settle();
      await relieve(currentDt);
    }
  }
  await background.settle();
  for (const dt of [...buffers.keys()].sort()) await flush(dt);
  result.partitions = [...touched].sort();

  // Last: a crash before this line re-processes these objects, and the merge makes that harmless.
  if (pending.length > 0) {
    const next = advanceCheckpoint(checkpoint, pending, deps.lateArrivalHours ?? 48);
    await store.put(CHECKPOINT_KEY, JSON.stringify(next), 'application/json');
  }
  log(
    `etl ${input.runId}: ${result.rawObjects} objects, ${result.lines} lines, +${result.rows} rows, ${result.duplicates} duplicates, ${result.quarantined} quarantined`,
  );
  return result;
};
