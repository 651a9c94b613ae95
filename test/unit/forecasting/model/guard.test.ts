import { describe, expect, it } from 'vitest';
import {
  bestBlend,
  blendCandidates,
  blendOf,
  clampInto,
  clip,
  clipBand,
  emptyRange,
  extendRange,
  finiteRange,
  observedRange,
  rangeExcess,
  unfamiliarShare,
} from '../../../../forecasting/model/guard.js';

describe('feature ranges', () => {
  it('records the training span and clamps values outside it', () => {
    // Prepare: two training rows
    const range = emptyRange(2);
    extendRange(range, [1, -2]);
    extendRange(range, [3, 5]);
    const x = Float64Array.from([10, -7]);
    // Act
    clampInto(x, range);
    // Assert
    expect(range).toEqual({ lo: [1, -2], hi: [3, 5] });
    expect([...x]).toEqual([3, -2]);
  });

  it('turns a range that saw nothing into a finite [0, 0]', () => {
    expect(finiteRange(emptyRange(2))).toEqual({ lo: [0, 0], hi: [0, 0] });
  });
});

describe('bestBlend', () => {
  const rows = (n: number, pick: 'global' | 'naive') =>
    Array.from({ length: n }, (_, i) => {
      const y = Math.sin(i);
      return {
        global: pick === 'global' ? y : y + 1,
        naive: pick === 'naive' ? y : y + 1,
        seasonal: y + 2,
        y,
      };
    });

  it('offers every simplex point of the grid', () => {
    const candidates = blendCandidates(10);
    expect(candidates).toHaveLength(66);
    for (const w of candidates) expect(w[0] + w[1] + w[2]).toBeCloseTo(1, 12);
  });

  it('gives the model nearly all the weight when it wins on plenty of rows', () => {
    const w = bestBlend(rows(10_000, 'global'), blendCandidates(10), 100);
    expect(w[0]).toBeCloseTo(10_000 / 10_100, 6);
    expect(w[0] + w[1] + w[2]).toBeCloseTo(1, 12);
  });

  it('shrinks the model toward the baselines when the evidence is thin', () => {
    const w = bestBlend(rows(20, 'global'), blendCandidates(10), 100);
    expect(w[0]).toBeCloseTo(20 / 120, 6);
    expect(w[1] + w[2]).toBeCloseTo(1 - 20 / 120, 12);
  });

  it('picks naive when naive is the best forecaster, and naive without rows', () => {
    expect(bestBlend(rows(500, 'naive'), blendCandidates(10), 100)).toEqual([0, 1, 0]);
    expect(bestBlend([], blendCandidates(10), 100)).toEqual([0, 1, 0]);
  });

  it('blends the three forecasts with the weights', () => {
    expect(blendOf([0.5, 0.25, 0.25], { global: 4, naive: 8, seasonal: 0, y: 0 })).toBe(4);
  });
});

describe('clipping', () => {
  it('bounds a forecast to the observed range widened by the margin', () => {
    const band = clipBand(observedRange([Number.NaN, 2, 3, Number.NaN]), [0, 10], Math.log(3));
    expect(band[0]).toBeCloseTo(2 - Math.log(3), 12);
    expect(band[1]).toBeCloseTo(3 + Math.log(3), 12);
    expect(clip(50, band)).toBe(band[1]);
    expect(clip(2.5, band)).toBe(2.5);
  });

  it('falls back to the training range without observations', () => {
    expect(observedRange([Number.NaN])).toBeUndefined();
    expect(clipBand(undefined, [1, 4], 1)).toEqual([0, 5]);
  });
});

describe('an unfamiliar present', () => {
  it('measures how far values lie outside the training range, at the worst of them', () => {
    const range = { lo: [-1, -0.5], hi: [1, 0.5] };
    expect(rangeExcess([0, 0.2], range)).toBe(0);
    expect(rangeExcess([1.3, 0.2], range)).toBeCloseTo(0.3);
    expect(rangeExcess([0.5, -1.5], range)).toBeCloseTo(1);
  });

  it('ignores a feature whose range saw nothing', () => {
    expect(rangeExcess([5], emptyRange(1))).toBe(0);
  });

  it('hands a step to naive gradually, fully from the given excess on', () => {
    expect(unfamiliarShare(0, 0.4)).toBe(0);
    expect(unfamiliarShare(0.1, 0.4)).toBeCloseTo(0.25);
    expect(unfamiliarShare(0.4, 0.4)).toBe(1);
    expect(unfamiliarShare(2, 0.4)).toBe(1);
  });
});
