import { describe, expect, it } from 'vitest';
import { uniqueStoredReadings } from '../../../bench/stored-readings.js';
import { MemoryObjectStore } from '../../../functions/common/adapters/memory-object-store.js';
import { putRawObject, rawLine, T0 } from '../../fixtures/lake/raw-lines.js';

describe('uniqueStoredReadings', () => {
  it('counts readings of gzip and plain raw objects once each', async () => {
    // Prepare: seq 2 is in both objects (a redelivery).
    const store = new MemoryObjectStore('lake');
    await putRawObject(store, T0, [rawLine({ ts: T0, seq: 1 }), rawLine({ ts: T0, seq: 2 })]);
    await putRawObject(
      store,
      T0 + 60_000,
      [rawLine({ ts: T0, seq: 2 }), rawLine({ ts: T0, seq: 3 })],
      {
        gzip: true,
      },
    );
    // Act + Assess
    expect(await uniqueStoredReadings(store)).toBe(3);
  });
});
