import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { readCuratedRows } from '../../../../core/curated/reader.js';
import {
  CHECKPOINT_KEY,
  nothingProcessed,
  partitionFileKey,
  quarantineKey,
} from '../../../../core/curated/schema.js';
import { decodeText } from '../../../../core/text.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { runEtl } from '../../../../glue/twin/etl.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

const deps = (store: MemoryObjectStore) => ({ store, now: () => T0 + 48 * HOUR });

describe('runEtl', () => {
  it('curates good lines and quarantines bad ones with a reason', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    const key = await putRawObject(store, T0 + HOUR, [
      rawLine({ ts: T0, seq: 1 }),
      'not json at all',
      rawLine({ ts: T0 + 60_000, seq: 2, values: { pm25: -3 } }),
      rawLine({ ts: T0 + 120_000, seq: 3 }),
    ]);

    // Act
    const result = await runEtl({ runId: 'run-1' }, deps(store));

    // Assess
    expect(result).toEqual({
      rawObjects: 1,
      lines: 4,
      rows: 2,
      quarantined: 2,
      duplicates: 0,
      partitions: ['2026-11-25'],
    });
    const quarantine = decodeText((await store.get(quarantineKey(key))) ?? new Uint8Array())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(quarantine).toHaveLength(2);
    expect(quarantine[0]).toEqual({
      reason: 'line is not valid JSON',
      sourceKey: key,
      line: 'not json at all',
    });
    expect(quarantine[1].reason).toContain('pm25: must not be negative');
  });

  it('curates gzip deliveries (.gz keys) beside plain objects of an older lake', async () => {
    // Prepare: one plain object, one gzip, as a lake that turned compression on holds them.
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0 + HOUR, [rawLine({ ts: T0, seq: 1 })]);
    const gzKey = await putRawObject(
      store,
      T0 + 2 * HOUR,
      [rawLine({ ts: T0 + HOUR, seq: 2 }), 'not json at all'],
      { gzip: true },
    );

    // Act
    const result = await runEtl({ runId: 'run-gz' }, deps(store));

    // Assess: both read; the bad line of the gzip object is quarantined under its key.
    expect(result).toMatchObject({ rawObjects: 2, lines: 3, rows: 2, quarantined: 1 });
    const rows = await readCuratedRows(store);
    expect(rows.map((r) => r.seq).sort()).toEqual([1, 2]);
    const quarantine = JSON.parse(
      decodeText((await store.get(quarantineKey(gzKey))) ?? new Uint8Array()),
    );
    expect(quarantine).toMatchObject({ sourceKey: gzKey, line: 'not json at all' });
  });

  it('writes snappy Parquet with INT64 UTC timestamps that reads back with the right types', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0, [
      rawLine({ ts: T0 + 5_000, seq: 7, values: { co: null } }),
      rawLine({ deviceId: 'a-first', ts: T0 + 9_000 }),
    ]);

    // Act
    await runEtl({ runId: 'run-1' }, deps(store));

    // Assess
    const bytes = await store.get(partitionFileKey('2026-11-25'));
    expect(bytes).toBeDefined();
    const buffer = (bytes as Uint8Array).slice().buffer;
    const meta = parquetMetadata(buffer);
    const ts = meta.schema.find((s) => s.name === 'ts');
    expect(ts?.type).toBe('INT64');
    expect(ts?.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' });
    expect(meta.schema.find((s) => s.name === 'seq')?.type).toBe('INT64');
    expect(meta.schema.find((s) => s.name === 'o3')?.type).toBe('DOUBLE');
    expect(meta.row_groups[0]?.columns[0]?.meta_data?.codec).toBe('SNAPPY');
    const rows = await readCuratedRows(store);
    // Sorted by deviceId, ts.
    expect(rows.map((r) => r.deviceId)).toEqual(['a-first', 'sim-001']);
    expect(rows[0]?.seq).toBeNull();
    expect(rows[1]).toMatchObject({ ts: T0 + 5_000, seq: 7, co: null, o3: 40, pm25: 12.5 });
    expect(rows[1]?.receivedAt).toBe(T0 + 6_000);
    expect(typeof rows[1]?.ts).toBe('number');
  });

  it('de-duplicates across runs and is idempotent when re-run', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0, [
      rawLine({ ts: T0, seq: 1 }),
      rawLine({ ts: T0 + 60_000, seq: 2 }),
    ]);
    await runEtl({ runId: 'run-1' }, deps(store));
    // At-least-once delivery: seq 2 arrives again, plus one new reading without seq, twice.
    await putRawObject(store, T0 + HOUR, [
      rawLine({ ts: T0 + 60_000, seq: 2, receivedAt: T0 + 99_000 }),
      rawLine({ ts: T0 + 120_000 }),
      rawLine({ ts: T0 + 120_000 }),
    ]);

    // Act
    const second = await runEtl({ runId: 'run-2' }, deps(store));
    const partitionAfterSecond = await store.get(partitionFileKey('2026-11-25'));
    const third = await runEtl({ runId: 'run-3' }, deps(store));

    // Assess
    expect(second).toMatchObject({ rawObjects: 1, rows: 1, duplicates: 2 });
    expect(third).toEqual(nothingProcessed());
    // Every count 0 and no partition (partitions: [] flattens away).
    expect(Object.values(nothingProcessed()).flat()).toEqual([0, 0, 0, 0, 0]);
    expect(await store.get(partitionFileKey('2026-11-25'))).toBe(partitionAfterSecond);
    const rows = await readCuratedRows(store);
    expect(rows.map((r) => [r.seq, r.ts - T0])).toEqual([
      [1, 0],
      [2, 60_000],
      [null, 120_000],
    ]);
    // The earliest received copy wins.
    expect(rows[1]?.receivedAt).toBe(T0 + 61_000);
    const checkpoint = JSON.parse(decodeText((await store.get(CHECKPOINT_KEY)) as Uint8Array));
    expect(checkpoint.processed).toHaveLength(2);
  });

  it('re-processing after a crash before the checkpoint does not duplicate rows', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0, [rawLine({ ts: T0, seq: 1 }), rawLine({ ts: T0 + 1, seq: 2 })]);
    await runEtl({ runId: 'run-1' }, deps(store));
    await store.delete(CHECKPOINT_KEY); // as if the run died before writing it

    // Act
    const again = await runEtl({ runId: 'run-1' }, deps(store));

    // Assess
    expect(again).toMatchObject({ rawObjects: 1, rows: 0, duplicates: 2 });
    expect(await readCuratedRows(store)).toHaveLength(2);
  });

  it('places a late reading in the partition of its own timestamp', async () => {
    // Prepare: a reading from 2026-11-23 delivered on 2026-11-25.
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0, [rawLine({ ts: T0 + HOUR, seq: 10 })]);
    await runEtl({ runId: 'run-1' }, deps(store));
    const late = T0 - 2 * 24 * HOUR + 30 * 60_000;
    await putRawObject(store, T0 + 2 * HOUR, [
      rawLine({ ts: late, seq: 3, receivedAt: T0 + HOUR }),
    ]);

    // Act
    const result = await runEtl({ runId: 'run-2' }, deps(store));

    // Assess
    expect(result.partitions).toEqual(['2026-11-23']);
    const lateRows = await readCuratedRows(store, { fromDt: '2026-11-23' });
    expect(lateRows[0]).toMatchObject({ ts: late, seq: 3 });
    expect(await store.list('curated/dt=')).toEqual([
      'curated/dt=2026-11-23/part-0000.parquet',
      'curated/dt=2026-11-25/part-0000.parquet',
    ]);
  });
});
