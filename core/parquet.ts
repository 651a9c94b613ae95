// Parquet in and out of memory: hyparquet-writer for writing (snappy), hyparquet for reading
// column-wise. Knows nothing about the lake; the curated schema lives in core/curated/schema.ts.
import { parquetMetadata, parquetRead } from 'hyparquet';
import type { ColumnSource } from 'hyparquet-writer';
import { parquetWriteBuffer } from 'hyparquet-writer';

export type ParquetColumnType = 'STRING' | 'INT64' | 'DOUBLE' | 'TIMESTAMP_UTC_MILLIS';

export interface ParquetColumnSpec {
  name: string;
  type: ParquetColumnType;
  nullable: boolean;
  /** Default: dictionary when it pays off, else PLAIN (hyparquet-writer's sampler decides). */
  encoding?: 'PLAIN' | 'DELTA_BINARY_PACKED';
  /** Min/max statistics in the footer (default true): what readers prune row groups with. */
  statistics?: boolean;
}

export type ColumnValues = Array<string | number | null>;

const schemaElement = (spec: ParquetColumnSpec) => {
  const repetition_type = spec.nullable ? ('OPTIONAL' as const) : ('REQUIRED' as const);
  switch (spec.type) {
    case 'STRING':
      return {
        name: spec.name,
        type: 'BYTE_ARRAY' as const,
        converted_type: 'UTF8' as const,
        repetition_type,
      };
    case 'INT64':
      return { name: spec.name, type: 'INT64' as const, repetition_type };
    case 'DOUBLE':
      return { name: spec.name, type: 'DOUBLE' as const, repetition_type };
    case 'TIMESTAMP_UTC_MILLIS':
      // Both annotations: old readers (Spark 2, Athena v1) look at converted_type only.
      return {
        name: spec.name,
        type: 'INT64' as const,
        converted_type: 'TIMESTAMP_MILLIS' as const,
        logical_type: {
          type: 'TIMESTAMP' as const,
          isAdjustedToUTC: true,
          unit: 'MILLIS' as const,
        },
        repetition_type,
      };
  }
};

const toStored = (spec: ParquetColumnSpec, values: ColumnValues): unknown[] | BigInt64Array => {
  if (spec.type !== 'INT64' && spec.type !== 'TIMESTAMP_UTC_MILLIS') return values;
  if (!spec.nullable) return BigInt64Array.from(values, (v) => BigInt(v ?? 0));
  return values.map((v) => (v === null ? null : BigInt(v)));
};

export interface WriteParquetOptions {
  /** Rows per row group: the unit a streaming reader decodes at a time. */
  rowGroupSize?: number;
}

/** The Parquet schema (root + one element per column) of the specs. */
export const parquetSchema = (specs: readonly ParquetColumnSpec[]) =>
  [{ name: 'root', num_children: specs.length }, ...specs.map(schemaElement)] as NonNullable<
    Parameters<typeof parquetWriteBuffer>[0]['schema']
  >;

/** Snappy-compressed Parquet bytes of equally long columns. */
export const writeParquet = (
  specs: readonly ParquetColumnSpec[],
  columns: Record<string, ColumnValues>,
  options: WriteParquetOptions = {},
): Uint8Array => {
  const columnData: ColumnSource[] = specs.map((spec) => ({
    name: spec.name,
    data: toStored(spec, columns[spec.name] ?? []),
    nullable: spec.nullable,
    ...(spec.encoding ? { encoding: spec.encoding } : {}),
    ...(spec.statistics === false ? { statistics: false } : {}),
  }));
  const schema = parquetSchema(specs);
  return new Uint8Array(
    parquetWriteBuffer({
      columnData,
      schema,
      codec: 'SNAPPY',
      rowGroupSize: options.rowGroupSize ?? 100_000,
    }),
  );
};

const toPlain = (value: unknown): string | number | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' || typeof value === 'string') return value;
  throw new TypeError(`unsupported Parquet value ${String(value)}`);
};

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** Number of rows a Parquet file holds, from its footer only. */
export const parquetRowCount = (bytes: Uint8Array): number =>
  Number(parquetMetadata(toArrayBuffer(bytes)).num_rows);

/** Row count of each row group, from the footer. */
export const parquetRowGroups = (bytes: Uint8Array): number[] =>
  parquetMetadata(toArrayBuffer(bytes)).row_groups.map((group) => Number(group.num_rows));

/**
 * Reads the named columns one row group at a time, so a caller never holds more than one
 * group's decoded values (plus the file's bytes).
 */
export const forEachRowGroup = async (
  bytes: Uint8Array,
  names: readonly string[],
  onGroup: (columns: Record<string, ColumnValues>, rows: number) => void | Promise<void>,
): Promise<void> => {
  const file = toArrayBuffer(bytes);
  const metadata = parquetMetadata(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    const out: Record<string, ColumnValues> = {};
    for (const name of names) out[name] = new Array<string | number | null>(rows).fill(null);
    await parquetRead({
      file,
      metadata,
      columns: [...names],
      rowStart,
      rowEnd: rowStart + rows,
      onChunk: ({ columnName, columnData, rowStart: chunkStart }) => {
        const target = out[columnName];
        if (!target) return;
        const offset = chunkStart - rowStart;
        for (let i = 0; i < columnData.length; i++) target[offset + i] = toPlain(columnData[i]);
      },
    });
    await onGroup(out, rows);
    rowStart += rows;
  }
};

/**
 * Reads the named columns into plain JS arrays: INT64 as number (epoch ms fit easily in 2^53),
 * timestamps as epoch ms, missing values as null.
 */
export const readParquetColumns = async (
  bytes: Uint8Array,
  names: readonly string[],
): Promise<Record<string, ColumnValues>> => {
  const file = toArrayBuffer(bytes);
  const rows = parquetRowCount(bytes);
  const out: Record<string, ColumnValues> = {};
  for (const name of names) out[name] = new Array<string | number | null>(rows).fill(null);
  await parquetRead({
    file,
    columns: [...names],
    onChunk: ({ columnName, columnData, rowStart }) => {
      const target = out[columnName];
      if (!target) return;
      for (let i = 0; i < columnData.length; i++) target[rowStart + i] = toPlain(columnData[i]);
    },
  });
  return out;
};
