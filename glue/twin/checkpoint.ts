// The local ETL's incremental state (curated/_checkpoint.json), kept bounded: a watermark hour
// folder plus the keys processed at or after it. The Glue job writes the same object at the end
// of a run (its own job bookmark decides what it reads), so either engine can run next.

import { CHECKPOINT_KEY, type EtlCheckpoint } from '../../core/curated/schema.js';
import { SmogcastError } from '../../core/errors.js';
import { RAW_PREFIX } from '../../core/lake.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

export class EtlCheckpointError extends SmogcastError {
  override readonly name = 'EtlCheckpointError';
}

const HOUR_MS = 3_600_000;
const FOLDER = /^raw\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//;

/** Epoch ms of a raw key's Firehose hour folder, or undefined for other keys. */
export const folderTime = (key: string): number | undefined => {
  const m = FOLDER.exec(key);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) : undefined;
};

const pad = (n: number): string => String(n).padStart(2, '0');

const folderOf = (epochMs: number): string => {
  const d = new Date(epochMs);
  return `${RAW_PREFIX}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
};

const dayPrefix = (epochMs: number): string => folderOf(epochMs).slice(0, -3);

export const emptyCheckpoint = (): EtlCheckpoint => ({
  version: 2,
  watermark: null,
  processed: [],
});

export const readCheckpoint = async (store: ObjectStore): Promise<EtlCheckpoint> => {
  const bytes = await store.get(CHECKPOINT_KEY);
  if (!bytes) return emptyCheckpoint();
  try {
    const parsed = JSON.parse(decodeText(bytes)) as Partial<{
      version: number;
      watermark: unknown;
      processed: unknown;
    }>;
    if (!Array.isArray(parsed.processed)) throw new Error('processed is not an array');
    const watermark =
      typeof parsed.watermark === 'string' && FOLDER.test(parsed.watermark)
        ? parsed.watermark
        : null;
    return {
      version: 2,
      // Version 1 (the whole history, no watermark) reads as a checkpoint without watermark.
      watermark,
      processed: parsed.processed.filter((k): k is string => typeof k === 'string'),
    };
  } catch (error) {
    // Refuse to guess: an unreadable checkpoint would otherwise re-ingest the whole lake.
    throw new EtlCheckpointError(`unreadable ${CHECKPOINT_KEY}`, { cause: error });
  }
};

export const isProcessed = (checkpoint: EtlCheckpoint, done: ReadonlySet<string>, key: string) =>
  (checkpoint.watermark !== null && key < checkpoint.watermark) || done.has(key);

/** Raw objects are Firehose deliveries; anything else under raw/ (folders, markers) is not. */
const isRawObject = (key: string): boolean => key.startsWith(RAW_PREFIX) && !key.endsWith('/');

/**
 * Raw keys not processed yet, in key (≈ delivery) order. With a watermark only the day folders
 * from the watermark's day to tomorrow are listed, so the cost does not grow with the lake.
 */
export const pendingRawKeys = async (
  store: ObjectStore,
  checkpoint: EtlCheckpoint,
  now: number,
): Promise<string[]> => {
  const done = new Set(checkpoint.processed);
  const watermarkTime =
    checkpoint.watermark === null ? undefined : folderTime(checkpoint.watermark);
  let keys: string[];
  if (watermarkTime === undefined) {
    keys = await store.list(RAW_PREFIX);
  } else {
    keys = [];
    const lastDay = Math.max(now, watermarkTime) + 24 * HOUR_MS;
    for (let day = watermarkTime; day <= lastDay; day += 24 * HOUR_MS) {
      keys.push(...(await store.list(dayPrefix(day))));
    }
  }
  return [...new Set(keys)]
    .filter((key) => isRawObject(key) && !isProcessed(checkpoint, done, key))
    .sort();
};

/**
 * The checkpoint after `newlyProcessed`: the watermark moves to `lateArrivalHours` before the
 * newest processed folder (never backwards) and keys before it are forgotten.
 */
export const advanceCheckpoint = (
  checkpoint: EtlCheckpoint,
  newlyProcessed: readonly string[],
  lateArrivalHours: number,
): EtlCheckpoint => {
  const all = [...new Set([...checkpoint.processed, ...newlyProcessed])];
  let newest = Number.NEGATIVE_INFINITY;
  for (const key of all) newest = Math.max(newest, folderTime(key) ?? Number.NEGATIVE_INFINITY);
  let watermark = checkpoint.watermark;
  if (Number.isFinite(newest)) {
    const candidate = folderOf(newest - lateArrivalHours * HOUR_MS);
    if (watermark === null || candidate > watermark) watermark = candidate;
  }
  const processed = all.filter((key) => watermark === null || key >= watermark).sort();
  return { version: 2, watermark, processed };
};
