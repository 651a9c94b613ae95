import { describe, expect, it } from 'vitest';
import { sampleSeries } from '../../../../forecasting/container/training-sample.js';

describe('sampleSeries', () => {
  it('keeps every series at or below the bound', () => {
    expect(sampleSeries([1, 2, 3], 3, 0)).toEqual([1, 2, 3]);
  });

  it('draws a seeded sample of distinct series from across the set above it', () => {
    // Prepare: 600 series ordered device by metric, as the train channel holds them.
    const series = Array.from({ length: 600 }, (_, i) => ({
      device: Math.floor(i / 6),
      metric: i % 6,
    }));

    // Act
    const a = sampleSeries(series, 120, 7);
    const b = sampleSeries(series, 120, 7);

    // Assess: the same sample for the same seed, distinct, every metric represented.
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(120);
    expect(new Set(a.map((s) => s.metric)).size).toBe(6);
    expect(sampleSeries(series, 120, 8)).not.toEqual(a);
  });
});
