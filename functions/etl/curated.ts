// Reading the curated layer back: row-wise for the ETL's merge, column-wise for prepare-deepar.
import { CURATED_PREFIX } from '../common/lake.js';
import { type ColumnValues, readParquetColumns, writeParquet } from '../common/parquet.js';
import type { ObjectStore } from '../common/ports.js';
import {
  CURATED_COLUMN_NAMES,
  CURATED_COLUMNS,
  type CuratedRow,
  partitionOfKey,
} from './schema.js';

export const encodeCuratedRows = (rows: readonly CuratedRow[]): Uint8Array => {
  const columns: Record<string, ColumnValues> = {};
  for (const name of CURATED_COLUMN_NAMES) {
    columns[name] = rows.map((row) => row[name as keyof CuratedRow] as string | number | null);
  }
  return writeParquet(CURATED_COLUMNS, columns);
};

export const decodeCuratedRows = async (bytes: Uint8Array): Promise<CuratedRow[]> => {
  const columns = await readParquetColumns(bytes, CURATED_COLUMN_NAMES);
  const length = columns.deviceId?.length ?? 0;
  const rows: CuratedRow[] = [];
  for (let i = 0; i < length; i++) {
    const row: Record<string, string | number | null> = {};
    for (const name of CURATED_COLUMN_NAMES) row[name] = columns[name]?.[i] ?? null;
    rows.push(row as unknown as CuratedRow);
  }
  return rows;
};

export interface CuratedFile {
  dt: string;
  key: string;
}

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
  return files.sort((a, b) => (a.dt === b.dt ? a.key.localeCompare(b.key) : a.dt < b.dt ? -1 : 1));
};

/**
 * The named columns of the given curated files, concatenated (column-wise, so prepare-deepar
 * never builds one object per reading).
 */
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

/** Every curated row (of partitions dt >= fromDt), in partition order. */
export const readCuratedRows = async (
  store: ObjectStore,
  options: { fromDt?: string } = {},
): Promise<CuratedRow[]> => {
  const rows: CuratedRow[] = [];
  for (const file of await listCuratedFiles(store, options)) {
    const bytes = await store.get(file.key);
    if (bytes) rows.push(...(await decodeCuratedRows(bytes)));
  }
  return rows;
};
