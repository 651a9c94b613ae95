// Crash safety and taking turns with the Glue job: the ETL killed at any write, then run again,
// leaves exactly one copy of each reading and of each quarantined line.
import { describe, expect, it } from 'vitest';
import { encodeCuratedRows, readCuratedRows } from '../../../../core/curated/reader.js';
import { rowKey } from '../../../../core/curated/rows.js';
import { CHECKPOINT_KEY, partitionFileKey } from '../../../../core/curated/schema.js';
import { decodeText } from '../../../../core/text.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { runEtl } from '../../../../glue/twin/etl.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

class CrashError extends Error {
  constructor() {
    super('simulated crash');
    this.name = 'CrashError';
  }
}

/** A store that dies on its n-th write (put or delete), as a process killed mid-run would. */
class CrashingStore extends MemoryObjectStore {
  writes = 0;
  constructor(
    private readonly crashAt: number,
    from: MemoryObjectStore,
  ) {
    super(from.bucket);
    for (const [key, value] of from.objects) this.objects.set(key, value);
  }

  override async put(key: string, body: Uint8Array | string): Promise<void> {
    if (++this.writes === this.crashAt) throw new CrashError();
    await super.put(key, body);
  }

  override async delete(key: string): Promise<void> {
    if (++this.writes === this.crashAt) throw new CrashError();
    await super.delete(key);
  }
}

const NOW = T0 + 72 * HOUR;

/** Three deliveries over two days, with a redelivery, a late reading and bad lines. */
const seedRaw = async (store: MemoryObjectStore): Promise<number> => {
  await putRawObject(store, T0, [
    rawLine({ ts: T0, seq: 1 }),
    rawLine({ ts: T0 + 60_000, seq: 2 }),
    'not json',
  ]);
  await putRawObject(store, T0 + HOUR, [
    rawLine({ ts: T0 + 60_000, seq: 2, receivedAt: T0 + 2 * HOUR }),
    rawLine({ deviceId: 'b', ts: T0 + 30 * HOUR }),
    rawLine({ ts: T0 + 120_000, values: { pm25: -1 } }),
  ]);
  await putRawObject(store, T0 + 31 * HOUR, [
    rawLine({ ts: T0 - 20 * HOUR, seq: 0, receivedAt: T0 + 31 * HOUR }),
    rawLine({ deviceId: 'b', ts: T0 + 31 * HOUR }),
  ]);
  return 5; // unique good readings
};

const quarantinedLines = async (store: MemoryObjectStore): Promise<string[]> => {
  const lines: string[] = [];
  for (const key of await store.list('quarantine/')) {
    const text = decodeText((await store.get(key)) as Uint8Array);
    // Raw keys differ between seedings (fresh uuids): compare what was quarantined and why.
    for (const entry of text.trim().split('\n')) {
      const { reason, line } = JSON.parse(entry) as { reason: string; line: string };
      lines.push(`${reason} | ${line}`);
    }
  }
  return lines.sort();
};

describe('runEtl crash safety', () => {
  it('an interrupted run, resumed, leaves exactly one copy of each reading, at every crash point', async () => {
    // Prepare: count the writes of an uninterrupted run.
    const clean = new MemoryObjectStore('lake');
    const unique = await seedRaw(clean);
    const counter = new CrashingStore(Number.POSITIVE_INFINITY, clean);
    await runEtl({ runId: 'clean' }, { store: counter, now: () => NOW, maxBufferedRows: 2 });
    const expectedRows = await readCuratedRows(counter);
    const expectedQuarantine = await quarantinedLines(counter);
    expect(expectedRows).toHaveLength(unique);
    expect(counter.writes).toBeGreaterThan(4);

    for (let crashAt = 1; crashAt <= counter.writes; crashAt++) {
      // Act: crash at write n, then run again on what the crash left behind.
      const lake = new MemoryObjectStore('lake');
      await seedRaw(lake);
      const dying = new CrashingStore(crashAt, lake);
      await expect(
        runEtl({ runId: 'first' }, { store: dying, now: () => NOW, maxBufferedRows: 2 }),
      ).rejects.toBeInstanceOf(CrashError);
      const survivor = new MemoryObjectStore('lake');
      for (const [key, value] of dying.objects) survivor.objects.set(key, value);
      await runEtl({ runId: 'resumed' }, { store: survivor, now: () => NOW, maxBufferedRows: 2 });

      // Assess
      const rows = await readCuratedRows(survivor);
      expect(rows, `crash at write ${crashAt}`).toEqual(expectedRows);
      expect(new Set(rows.map(rowKey)).size).toBe(rows.length);
      expect(await quarantinedLines(survivor)).toEqual(expectedQuarantine);
    }
  });

  it('merges a partition written by the Glue job (Spark file names) into one file, once', async () => {
    // Prepare: Spark wrote two files for 2026-11-25, one reading in both; the checkpoint knows
    // nothing of the raw object Glue processed, so the local ETL reads it again.
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0, [rawLine({ ts: T0, seq: 1 }), rawLine({ ts: T0 + 1, seq: 2 })]);
    const fromGlue = (await import('../../../../core/curated/rows.js')).parseRawLine;
    const rows = [rawLine({ ts: T0, seq: 1 }), rawLine({ ts: T0 + 1, seq: 2 })].map((l) => {
      const r = fromGlue(l, NOW);
      if (!r.ok) throw new Error(r.reason);
      return r.row;
    });
    const sparkA = 'curated/dt=2026-11-25/part-00000-5d1c-c000.snappy.parquet';
    const sparkB = 'curated/dt=2026-11-25/part-00001-5d1c-c000.snappy.parquet';
    await store.put(sparkA, encodeCuratedRows([rows[0] as (typeof rows)[0]]));
    await store.put(sparkB, encodeCuratedRows(rows));
    await putRawObject(store, T0 + HOUR, [rawLine({ ts: T0 + 2, seq: 3 })]);

    // Act
    const result = await runEtl({ runId: 'local' }, { store, now: () => NOW });

    // Assess
    expect(await store.list('curated/dt=2026-11-25/')).toEqual([partitionFileKey('2026-11-25')]);
    expect((await readCuratedRows(store)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ rows: 1, rawObjects: 2 });
  });

  it('keeps the checkpoint bounded: old keys fall behind the watermark and are not re-read', async () => {
    // Prepare: a month of hourly deliveries.
    const store = new MemoryObjectStore('lake');
    for (let h = 0; h < 30 * 24; h += 6) {
      await putRawObject(store, T0 + h * HOUR, [rawLine({ ts: T0 + h * HOUR, seq: h })]);
    }

    // Act
    await runEtl({ runId: 'r1' }, { store, now: () => T0 + 31 * 24 * HOUR, lateArrivalHours: 24 });
    const checkpoint = JSON.parse(decodeText((await store.get(CHECKPOINT_KEY)) as Uint8Array));
    const again = await runEtl({ runId: 'r2' }, { store, now: () => T0 + 31 * 24 * HOUR });

    // Assess: only the last day's 4 deliveries (+ the watermark's own hour) stay listed.
    expect(checkpoint.watermark).toBe('raw/2026/12/23/18/');
    expect(checkpoint.processed.length).toBeLessThanOrEqual(5);
    expect(again.rawObjects).toBe(0);
    expect(await readCuratedRows(store)).toHaveLength(120);
  });
});
