import { describe, expect, it } from 'vitest';
import {
  forEachRowGroup,
  parquetRowGroups,
  readParquetColumns,
  writeParquet,
} from '../../../core/parquet.js';

const specs = [
  { name: 'id', type: 'STRING' as const, nullable: false },
  {
    name: 'ts',
    type: 'TIMESTAMP_UTC_MILLIS' as const,
    nullable: false,
    encoding: 'DELTA_BINARY_PACKED' as const,
  },
  { name: 'v', type: 'DOUBLE' as const, nullable: true, statistics: false },
];

describe('parquet', () => {
  it('streams row groups in order with the same values a whole-file read gives', async () => {
    // Prepare
    const n = 120;
    const columns = {
      id: Array.from({ length: n }, (_, i) => `d${i % 7}`),
      ts: Array.from({ length: n }, (_, i) => 1_795_564_800_000 + i * 60_000),
      v: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i / 2)),
    };
    const bytes = writeParquet(specs, columns, { rowGroupSize: 50 });

    // Act
    const groups: number[] = [];
    const streamed: Record<string, Array<string | number | null>> = { id: [], ts: [], v: [] };
    await forEachRowGroup(bytes, ['id', 'ts', 'v'], (group, rows) => {
      groups.push(rows);
      for (const name of ['id', 'ts', 'v']) streamed[name]?.push(...(group[name] ?? []));
    });
    const whole = await readParquetColumns(bytes, ['id', 'ts', 'v']);

    // Assess
    expect(parquetRowGroups(bytes)).toEqual([50, 50, 20]);
    expect(groups).toEqual([50, 50, 20]);
    expect(streamed).toEqual(columns);
    expect(whole).toEqual(columns);
  });
});
