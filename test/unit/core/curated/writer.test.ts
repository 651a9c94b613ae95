import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { CuratedBatch } from '../../../../core/curated/batch.js';
import { CURATED_COLUMN_NAMES, type CuratedRow } from '../../../../core/curated/schema.js';
import { writeCuratedParquet } from '../../../../core/curated/writer.js';
import { readParquetColumns } from '../../../../core/parquet.js';

const T0 = Date.UTC(2026, 10, 25);

const batchOf = (n: number): CuratedBatch => {
  const batch = new CuratedBatch(4);
  for (let i = 0; i < n; i++) {
    batch.push({
      deviceId: `dev-${i % 3}`,
      ts: T0 + i * 60_000,
      seq: i % 4 === 0 ? null : i,
      lat: i % 5 === 0 ? null : 50 + (i % 3) / 100,
      lon: 19.9,
      o3: i % 7 === 0 ? null : (i % 10) / 2,
      pm25: i * 1.000001, // all distinct: the dictionary gives up, PLAIN instead
      pm10: null,
      co: 0.5,
      so2: i % 2 ? 0 : null,
      no2: -0 + i,
      receivedAt: T0 + i * 60_000 + 800 - (i % 2 ? 2 ** 33 : 0), // needs both 32-bit halves
    } satisfies CuratedRow);
  }
  return batch;
};

describe('writeCuratedParquet', () => {
  it('writes what the generic writer writes, read back value for value', async () => {
    // Prepare
    const batch = batchOf(257);
    const order = batch.dedupe().order;

    // Act
    const fast = writeCuratedParquet(batch, order, 100);
    const generic = batch.encode(order);

    // Assess
    const a = await readParquetColumns(fast, CURATED_COLUMN_NAMES);
    const b = await readParquetColumns(generic, CURATED_COLUMN_NAMES);
    expect(a).toEqual(b);
    expect(a.ts).toHaveLength(257);
    const meta = parquetMetadata(fast.slice().buffer);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([100, 100, 57]);
    const chunk = (name: string) =>
      meta.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
    expect(chunk('deviceId')?.encodings).toContain('RLE_DICTIONARY');
    expect(chunk('pm25')?.encodings).toEqual(['PLAIN']);
    expect(chunk('ts')?.codec).toBe('SNAPPY');
    expect(meta.schema.find((s) => s.name === 'ts')?.logical_type).toEqual({
      type: 'TIMESTAMP',
      isAdjustedToUTC: true,
      unit: 'MILLIS',
    });
  });

  it('writes a valid file with no rows', async () => {
    // Act
    const bytes = writeCuratedParquet(new CuratedBatch(1), new Uint32Array(0), 100);

    // Assess
    const columns = await readParquetColumns(bytes, CURATED_COLUMN_NAMES);
    expect(columns.deviceId).toEqual([]);
    expect(Number(parquetMetadata(bytes.slice().buffer).num_rows)).toBe(0);
  });
});
