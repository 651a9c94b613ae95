// The streaming readings profile (one Parquet row group at a time into fixed-bin histograms)
// must give what the whole-window profile gave on the same lake: same counts, same PSI.
import { describe, expect, it } from 'vitest';
import { wholeWindowReadingsProfile } from '../../../../bench/drift-whole-window.js';
import { encodeCuratedRows } from '../../../../core/curated/reader.js';
import { type CuratedRow, partitionFileKey } from '../../../../core/curated/schema.js';
import { psiByMetric } from '../../../../core/drift.js';
import { readingsProfile } from '../../../../functions/check-drift/check-drift.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';

const DAY0 = Date.parse('2026-11-20T00:00:00Z');

/** A deterministic lake: 3 days; the middle day holds 60,000 readings (two row groups). */
const lake = async () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const store = new MemoryObjectStore('lake');
  for (const [day, n] of [
    [0, 3_000],
    [1, 60_000],
    [2, 5_000],
  ] as const) {
    const rows: CuratedRow[] = Array.from({ length: n }, (_, i) => {
      const ts = DAY0 + day * 86_400_000 + Math.floor((i / n) * 86_400_000);
      const shift = day === 2 ? 2 : 1;
      return {
        deviceId: `d${i % 17}`,
        ts,
        seq: i,
        lat: null,
        lon: null,
        o3: rand() < 0.1 ? null : rand() * 150 * shift,
        pm25: rand() * 200 * shift,
        pm10: rand() < 0.5 ? null : rand() * 400,
        co: rand() * 3000,
        so2: null,
        no2: rand() * 100,
        receivedAt: ts,
      };
    });
    const dt = new Date(DAY0 + day * 86_400_000).toISOString().slice(0, 10);
    await store.put(partitionFileKey(dt), encodeCuratedRows(rows));
  }
  return store;
};

describe('readingsProfile (streaming) against the whole-window profile', () => {
  const windows: Array<[string, number, number | undefined, Set<number> | undefined]> = [
    ['the whole lake', 0, undefined, undefined],
    [
      'a window inside the large day',
      DAY0 + 86_400_000 + 3_600_000,
      DAY0 + 2 * 86_400_000 - 1,
      undefined,
    ],
    ['the last day at three hours of day', DAY0 + 2 * 86_400_000, undefined, new Set([5, 6, 7])],
    ['an empty window', DAY0 + 10 * 86_400_000, undefined, undefined],
  ];

  it.each(windows)(
    'gives the same histograms, counts and hours on %s',
    async (_name, from, to, hours) => {
      // Prepare
      const store = await lake();

      // Act
      const streamed = await readingsProfile(store, from, to, hours);
      const whole = await wholeWindowReadingsProfile(store, from, to, hours);

      // Assess
      expect(streamed.profile).toEqual(whole.profile);
      expect(streamed.count).toBe(whole.count);
      expect([...streamed.hours].sort()).toEqual([...whole.hours].sort());
    },
  );

  it('gives the same PSI between two windows (within floating error)', async () => {
    const store = await lake();
    const baseline = DAY0 + 2 * 86_400_000;
    const streamed = psiByMetric(
      (await readingsProfile(store, 0, baseline)).profile,
      (await readingsProfile(store, baseline)).profile,
    );
    const whole = psiByMetric(
      (await wholeWindowReadingsProfile(store, 0, baseline)).profile,
      (await wholeWindowReadingsProfile(store, baseline)).profile,
    );
    expect(Object.keys(streamed).sort()).toEqual(Object.keys(whole).sort());
    for (const [metric, value] of Object.entries(whole)) {
      expect(streamed[metric as keyof typeof streamed]).toBeCloseTo(value, 12);
    }
    expect(streamed.pm25).toBeGreaterThan(0.2); // the shifted day drifts
  });
});
