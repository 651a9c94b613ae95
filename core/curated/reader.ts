// Reading the curated layer back: whole partitions for the ETL's merge, one row group at a
// time for prepare-deepar (so its memory does not grow with the lake).
import { CURATED_PREFIX, curatedPartitionPrefix } from '../lake.js';
import { type ColumnValues, forEachRowGroup, readParquetColumns } from '../parquet.js';
import type { ObjectStore } from '../ports.js';
import { CuratedBatch } from './batch.js';
import { CURATED_COLUMN_NAMES, type CuratedRow, partitionOfKey } from './schema.js';

export interface CuratedFile {
  dt: string;
  key: string;
}

const byPartition = (a: CuratedFile, b: CuratedFile): number =>
  a.dt === b.dt ? a.key.localeCompare(b.key) : a.dt < b.dt ? -1 : 1;

/** Curated Parquet files, oldest partition first; optionally only dt >= fromDt. */
export const listCuratedFiles = async (
  store: ObjectStore,
  options: { fromDt?: string } = {},
): Promise<CuratedFile[]> => {
  const files: CuratedFile[] = [];
  for (const key of await store.list(CURATED_PREFIX)) {
    const dt = partitionOfKey(key);
    if (dt !== undefined && (options.fromDt === undefined || dt >= options.fromDt)) {
      files.push({ dt, key });
    }
  }
  return files.sort(byPartition);
};

/** Every Parquet file of one partition, whichever engine wrote it. */
export const curatedPartitionFiles = async (
  store: ObjectStore,
  dt: string,
): Promise<CuratedFile[]> =>
  (await store.list(curatedPartitionPrefix(dt)))
    .filter((key) => partitionOfKey(key) === dt)
    .map((key) => ({ dt, key }))
    .sort(byPartition);

/** The named columns of the given curated files, concatenated column-wise. */
export const readCuratedColumns = async (
  store: ObjectStore,
  files: readonly CuratedFile[],
  names: readonly string[],
): Promise<Record<string, ColumnValues>> => {
  const out: Record<string, ColumnValues> = {};
  for (const name of names) out[name] = [];
  for (const file of files) {
    const bytes = await store.get(file.key);
    if (!bytes) continue;
    const columns = await readParquetColumns(bytes, names);
    for (const name of names) {
      const target = out[name] as ColumnValues;
      for (const value of columns[name] ?? []) target.push(value);
    }
  }
  return out;
};

/**
 * Calls `onGroup` with the named columns of each row group of each file, in partition order;
 * at most one row group's values are decoded at a time.
 */
export const forEachCuratedGroup = async (
  store: ObjectStore,
  files: readonly CuratedFile[],
  names: readonly string[],
  onGroup: (columns: Record<string, ColumnValues>, rows: number, file: CuratedFile) => void,
): Promise<void> => {
  for (const file of files) {
    const bytes = await store.get(file.key);
    if (!bytes) continue;
    await forEachRowGroup(bytes, names, (columns, rows) => onGroup(columns, rows, file));
  }
};

/** Every curated row (of partitions dt >= fromDt), in partition order (tests, small lakes). */
export const readCuratedRows = async (
  store: ObjectStore,
  options: { fromDt?: string } = {},
): Promise<CuratedRow[]> => {
  const batch = new CuratedBatch();
  const files = await listCuratedFiles(store, options);
  batch.pushColumns(await readCuratedColumns(store, files, CURATED_COLUMN_NAMES));
  return batch.toRows(Uint32Array.from({ length: batch.length }, (_, i) => i));
};

/** Curated rows as one Parquet file, in the given order (fixtures, tests). */
export const encodeCuratedRows = (rows: readonly CuratedRow[]): Uint8Array => {
  const batch = new CuratedBatch(rows.length + 1);
  for (const row of rows) batch.push(row);
  return batch.encode(Uint32Array.from({ length: batch.length }, (_, i) => i));
};
