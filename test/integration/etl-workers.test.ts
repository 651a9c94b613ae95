// The ETL on worker threads (parse and merge off the main thread) writes exactly what the
// single-threaded ETL writes, quarantine included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCuratedRows } from '../../core/curated/reader.js';
import { MemoryObjectStore } from '../../functions/common/adapters/memory-object-store.js';
import { runEtl } from '../../glue/twin/etl.js';
import { HOUR, putRawObject, rawLine, T0 } from '../fixtures/lake/raw-lines.js';

const seed = async (store: MemoryObjectStore): Promise<void> => {
  for (let h = 0; h < 60; h++) {
    const lines: string[] = [];
    for (let d = 0; d < 5; d++) {
      const deviceId = `dev-${d}`;
      lines.push(rawLine({ deviceId, ts: T0 + h * HOUR, seq: h, values: { o3: h + d } }));
      if (h % 7 === 0) lines.push(rawLine({ deviceId, ts: T0 + h * HOUR, seq: h })); // redelivery
    }
    if (h % 5 === 0) lines.push('{"broken": ');
    if (h > 2) lines.push(rawLine({ deviceId: 'late', ts: T0 + (h - 3) * HOUR, seq: h }));
    await putRawObject(store, T0 + h * HOUR, lines);
  }
};

describe('runEtl with worker threads', () => {
  // The workers load tsx, whose transform cache would stay behind in the temp folder.
  const cacheSetting = process.env.TSX_DISABLE_CACHE;
  beforeAll(() => {
    process.env.TSX_DISABLE_CACHE = '1';
  });
  afterAll(() => {
    if (cacheSetting === undefined) delete process.env.TSX_DISABLE_CACHE;
    else process.env.TSX_DISABLE_CACHE = cacheSetting;
  });

  it('gives the same lake as the single-threaded run', async () => {
    // Prepare
    const single = new MemoryObjectStore('lake');
    const parallel = new MemoryObjectStore('lake');
    await seed(single);
    for (const [key, value] of single.objects) parallel.objects.set(key, value);
    const now = () => T0 + 80 * HOUR;

    // Act
    const a = await runEtl({ runId: 'r' }, { store: single, now, maxBufferedRows: 50 });
    const b = await runEtl(
      { runId: 'r' },
      { store: parallel, now, maxBufferedRows: 50, parallelism: 2 },
    );

    // Assess
    expect(b).toEqual(a);
    expect(a.rows).toBe(60 * 5 + 57);
    expect(await readCuratedRows(parallel)).toEqual(await readCuratedRows(single));
    expect(await parallel.list('quarantine/')).toEqual(await single.list('quarantine/'));
  });
});
