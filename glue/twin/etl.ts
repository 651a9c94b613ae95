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

import type { CuratedBatch } from '../../core/curated/batch.js';
import { curatedPartitionFiles } from '../../core/curated/reader.js';
import {
  CHECKPOINT_KEY,
  type EtlResult,
  nothingProcessed,
  partitionFileKey,
  quarantineKey,
} from '../../core/curated/schema.js';
import type { ObjectStore } from '../../core/ports.js';
import { advanceCheckpoint, pendingRawKeys, readCheckpoint } from './checkpoint.js';
import { createEtlWorkers } from './etl-workers.js';
import type { ParsedObject } from './parse-object.js';

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
  /** Parse worker threads; 1 (the default) parses on the calling thread. */
  parallelism?: number;
}

const PARQUET = 'application/vnd.apache.parquet';

/** At most `size` tasks at a time; the others wait their turn, first come first served. */
class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.size) await new Promise<void>((go) => this.waiting.push(go));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

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
  const result = nothingProcessed();
  const touched = new Set<string>();

  const parallelism = Math.max(1, Math.floor(deps.parallelism ?? 1));
  const workers = createEtlWorkers(parallelism);
  const background = new PendingWrites();
  /** Per partition, the last merge scheduled: a partition's merges run one after another. */
  const merging = new Map<string, Promise<void>>();
  const active: Array<Promise<void>> = [];
  const slots = new Slots(parallelism);

  /**
   * Schedules the merge of a partition's buffered rows into the lake and drops them from the
   * buffer at once. Merges run beside parsing; at most `parallelism` (+ the new one) at a time.
   */
  const flush = async (dt: string): Promise<void> => {
    const batch = buffers.get(dt);
    if (!batch) return;
    buffers.delete(dt);
    buffered -= batch.length;
    const newRows = batch.length;
    const previous = merging.get(dt) ?? Promise.resolve();
    const job = previous.then(() =>
      slots.run(async () => {
        const files = await curatedPartitionFiles(store, dt);
        const existing: Uint8Array[] = [];
        for (const file of files) {
          const bytes = await store.get(file.key);
          if (bytes) existing.push(bytes);
        }
        const merged = await workers.merge(existing, batch);
        result.duplicates += merged.duplicates;
        result.rows += merged.added;
        const key = partitionFileKey(dt);
        await store.put(key, merged.bytes, PARQUET);
        // Only after the merged file is safely written: drop the files it replaces.
        for (const file of files) if (file.key !== key) await store.delete(file.key);
        touched.add(dt);
        log(
          `etl ${input.runId}: ${key} +${newRows} rows → ${merged.total} (${files.length} files merged)`,
        );
      }),
    );
    merging.set(dt, job);
    background.add(job);
    active.push(job);
    const done = () => active.splice(active.indexOf(job), 1);
    job.then(done, done);
    // Backpressure: each merge holds about two copies of a partition until it is written, so
    // no more run at once than there are threads to run them.
    while (active.length > parallelism) await Promise.race(active).catch(() => undefined);
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

  // A window of objects in flight (read, then parsed), consumed strictly in key order so the
  // result does not depend on which worker finishes first.
  const window = Math.max(2, 2 * parallelism + 1);
  const inFlight: Array<Promise<ParsedObject | undefined>> = [];
  let started = 0;
  const startNext = () => {
    const key = pending[started++];
    if (key === undefined) return;
    const work = store.get(key).then((bytes) => (bytes ? workers.parse(bytes, now) : undefined));
    work.catch(() => undefined); // observed when awaited below
    inFlight.push(work);
  };
  let currentDt = '';
  try {
    while (started < Math.min(window, pending.length)) startNext();
    for (const sourceKey of pending) {
      const parsed = await inFlight.shift();
      startNext();
      result.rawObjects++;
      if (result.rawObjects % 500 === 0) {
        log(
          `etl ${input.runId}: ${result.rawObjects}/${pending.length} objects, ${result.lines} lines`,
        );
      }
      if (!parsed) continue; // deleted between list and get: nothing to process
      result.lines += parsed.lines;
      for (const [dt, rows] of parsed.partitions) {
        const batch = buffers.get(dt);
        if (batch) batch.append(rows);
        else buffers.set(dt, rows);
        buffered += rows.length;
        currentDt = dt;
      }
      if (parsed.bad.length > 0) {
        result.quarantined += parsed.bad.length;
        const body = parsed.bad
          .map(({ reason, line, bytes }) =>
            JSON.stringify(
              bytes === undefined
                ? { reason, sourceKey, line }
                : { reason, sourceKey, line, bytes },
            ),
          )
          .join('\n');
        background.add(store.put(quarantineKey(sourceKey), `${body}\n`, 'application/x-ndjson'));
      }
      if (buffered > maxBuffered) await relieve(currentDt);
    }
    for (const dt of [...buffers.keys()].sort()) await flush(dt);
    // Every merge and quarantine write has landed (or the run fails here, before the checkpoint).
    await background.settle();
  } finally {
    await workers.close();
  }
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
