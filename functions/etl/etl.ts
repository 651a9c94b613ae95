// The ETL, local twin of the Glue job (glue/etl_job.py): raw/ NDJSON → curated/ Parquet
// partitions, bad lines → quarantine/. Incremental through a checkpoint of processed raw keys.
import { SmogcastError } from '../common/errors.js';
import { partitionDate, RAW_PREFIX } from '../common/lake.js';
import type { ObjectStore } from '../common/ports.js';
import { decodeText, splitLines } from '../common/text.js';
import { decodeCuratedRows, encodeCuratedRows } from './curated.js';
import { dedupeRows, parseRawLine } from './rows.js';
import {
  CHECKPOINT_KEY,
  type CuratedRow,
  type EtlCheckpoint,
  type EtlResult,
  partitionFileKey,
  type QuarantineEntry,
  quarantineKey,
} from './schema.js';

export interface EtlInput {
  runId: string;
}

export interface EtlDeps {
  store: ObjectStore;
  now: () => number;
  log?: (msg: string) => void;
}

export class EtlCheckpointError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EtlCheckpointError';
  }
}

const readCheckpoint = async (store: ObjectStore): Promise<EtlCheckpoint> => {
  const bytes = await store.get(CHECKPOINT_KEY);
  if (!bytes) return { version: 1, processed: [] };
  try {
    const parsed = JSON.parse(decodeText(bytes)) as Partial<EtlCheckpoint>;
    if (!Array.isArray(parsed.processed)) throw new Error('processed is not an array');
    return { version: 1, processed: parsed.processed.filter((k) => typeof k === 'string') };
  } catch (error) {
    // Refuse to guess: an unreadable checkpoint would otherwise re-ingest the whole lake.
    throw new EtlCheckpointError(`unreadable ${CHECKPOINT_KEY}`, { cause: error });
  }
};

/** Raw objects are Firehose deliveries; anything else under raw/ (folders, markers) is not. */
const isRawObject = (key: string): boolean => key.startsWith(RAW_PREFIX) && !key.endsWith('/');

export const runEtl = async (input: EtlInput, deps: EtlDeps): Promise<EtlResult> => {
  const { store } = deps;
  const log = deps.log ?? (() => {});
  const now = deps.now();
  const checkpoint = await readCheckpoint(store);
  const done = new Set(checkpoint.processed);
  const pending = (await store.list(RAW_PREFIX)).filter((k) => isRawObject(k) && !done.has(k));

  const byPartition = new Map<string, CuratedRow[]>();
  const quarantine: QuarantineEntry[] = [];
  for (const sourceKey of pending) {
    const bytes = await store.get(sourceKey);
    if (!bytes) continue; // deleted between list and get: nothing to process, nothing to mark
    for (const line of splitLines(decodeText(bytes))) {
      const result = parseRawLine(line, now);
      if (!result.ok) {
        quarantine.push({ reason: result.reason, sourceKey, line });
        continue;
      }
      const dt = partitionDate(result.row.ts);
      const rows = byPartition.get(dt) ?? [];
      rows.push(result.row);
      byPartition.set(dt, rows);
    }
  }

  let rows = 0;
  let duplicates = 0;
  const partitions = [...byPartition.keys()].sort();
  for (const dt of partitions) {
    const key = partitionFileKey(dt);
    const existingBytes = await store.get(key);
    const existing = existingBytes ? await decodeCuratedRows(existingBytes) : [];
    const merged = dedupeRows([...existing, ...(byPartition.get(dt) ?? [])]);
    duplicates += merged.duplicates;
    rows += merged.rows.length - existing.length;
    await store.put(key, encodeCuratedRows(merged.rows), 'application/vnd.apache.parquet');
    log(`etl ${input.runId}: ${key} now holds ${merged.rows.length} rows`);
  }

  if (quarantine.length > 0) {
    const body = `${quarantine.map((entry) => JSON.stringify(entry)).join('\n')}\n`;
    await store.put(quarantineKey(partitionDate(now), input.runId), body, 'application/x-ndjson');
    log(`etl ${input.runId}: quarantined ${quarantine.length} lines`);
  }

  // Last: a crash before this line re-processes these objects, and the merge makes that harmless.
  if (pending.length > 0) {
    const next: EtlCheckpoint = {
      version: 1,
      processed: [...checkpoint.processed, ...pending].sort(),
    };
    await store.put(CHECKPOINT_KEY, JSON.stringify(next), 'application/json');
  }
  return {
    rawObjects: pending.length,
    rows,
    quarantined: quarantine.length,
    duplicates,
    partitions,
  };
};
