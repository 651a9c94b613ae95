// DeepAR's input format rules, checked on what the real path (raw lines → ETL → prepare-deepar)
// writes: start format, "NaN" gaps, train = test minus prediction_length, cat within cardinality.
import { describe, expect, it } from 'vitest';
import { parseSeriesLine } from '../../../../core/deepar.js';
import { METRICS } from '../../../../core/metrics.js';
import { decodeText } from '../../../../core/text.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { prepareDeepAr } from '../../../../functions/prepare-deepar/prepare-deepar.js';
import { PrepareInput } from '../../../../functions/prepare-deepar/schema.js';
import { runEtl } from '../../../../glue/twin/etl.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

const PREDICTION_LENGTH = 6;
const text = async (store: MemoryObjectStore, key: string) =>
  decodeText((await store.get(key)) ?? new Uint8Array());

describe('prepare-deepar output against the DeepAR format', () => {
  it('writes lines DeepAR accepts, with the split, gaps and categories it expects', async () => {
    // Prepare: 4 devices, 3 days of 20-minute readings, a 5-hour outage on one, pm10 only on
    // some hours, one device with too little data.
    const store = new MemoryObjectStore('lake');
    for (let hour = 0; hour < 72; hour++) {
      const lines: string[] = [];
      for (const deviceId of ['d-a', 'd-b', 'd-c']) {
        if (deviceId === 'd-b' && hour >= 30 && hour < 35) continue;
        for (let m = 0; m < 60; m += 20) {
          const ts = T0 + hour * HOUR + m * 60_000;
          lines.push(
            rawLine({
              deviceId,
              ts,
              seq: hour * 3 + m / 20,
              values: { o3: 30 + (hour % 24), pm10: hour % 2 === 0 ? 20 : null },
            }),
          );
        }
      }
      if (hour > 68) lines.push(rawLine({ deviceId: 'd-new', ts: T0 + hour * HOUR }));
      await putRawObject(store, T0 + hour * HOUR, lines);
    }
    await runEtl({ runId: 'etl' }, { store, now: () => T0 + 80 * HOUR });

    // Act
    const out = await prepareDeepAr(
      PrepareInput.parse({
        runId: 'fmt',
        startedAt: new Date(T0 + 80 * HOUR).toISOString(),
        predictionLength: PREDICTION_LENGTH,
        historyDays: 7,
      }),
      { store },
    );

    // Assess
    const categories = JSON.parse(await text(store, 'deepar/fmt/categories.json'));
    const testLines = (await text(store, 'deepar/fmt/test/data.json')).trim().split('\n');
    const trainLines = (await text(store, 'deepar/fmt/train/data.json')).trim().split('\n');
    expect(testLines).toHaveLength(out.series);
    expect(trainLines).toHaveLength(out.series);
    expect(out.skipped).toBeGreaterThan(0); // d-new: 3 hourly points < 2 × 6
    const trainByCat = new Map(trainLines.map((l) => [JSON.stringify(parseSeriesLine(l).cat), l]));
    let gaps = 0;
    for (const line of testLines) {
      const raw = JSON.parse(line) as { start: string; target: unknown[]; cat: number[] };
      expect(raw.start).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:00:00$/);
      for (const v of raw.target) expect(typeof v === 'number' || v === 'NaN').toBe(true);
      gaps += raw.target.filter((v) => v === 'NaN').length;
      const test = parseSeriesLine(line);
      const [device, metric] = test.cat as [number, number];
      expect(device).toBeLessThan(categories.devices.length);
      expect(metric).toBeLessThan(METRICS.length);
      expect(categories.metrics[metric]).toBe(METRICS[metric]);
      const train = parseSeriesLine(trainByCat.get(JSON.stringify(test.cat)) ?? '');
      expect(train.start).toBe(test.start);
      expect(train.target.length).toBe(test.target.length - PREDICTION_LENGTH);
      expect(train.target).toEqual(test.target.slice(0, train.target.length));
      // Never a gap at either end: series are trimmed to their first and last reading.
      expect(Number.isNaN(test.target[0])).toBe(false);
      expect(Number.isNaN(test.target.at(-1))).toBe(false);
    }
    expect(gaps).toBeGreaterThan(0); // d-b's outage and pm10's odd hours
    expect(new Set(testLines.map((l) => JSON.stringify(parseSeriesLine(l).cat))).size).toBe(
      testLines.length,
    );
    const profile = JSON.parse(await text(store, 'deepar/fmt/profile.json'));
    expect(profile.metrics.o3.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(
      profile.metrics.o3.count,
    );
    expect(profile.metrics.o3.quantiles['0.5']).toBe(profile.metrics.o3.p50);
    expect(profile.metrics.pm10.missingShare).toBeGreaterThan(0.4);
  });
});
