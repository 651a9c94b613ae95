import { describe, expect, it } from 'vitest';
import { BIN_EDGES, histogram, psi, psiByMetric } from '../../../../functions/common/drift.js';

const spread = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('drift statistics', () => {
  it('bins values on fixed edges, below the first and above the last included', () => {
    const h = histogram([0, 5, 9.99, 10, 1e6, Number.NaN], [5, 10]);
    expect(h).toEqual({ counts: [1, 2, 2], total: 5 });
  });

  it('gives PSI 0 for the same distribution and a large PSI for a shifted one', () => {
    const base = histogram(spread(1000, 5, 80), BIN_EDGES.pm25);
    const same = histogram(spread(500, 5, 80), BIN_EDGES.pm25);
    const shifted = histogram(spread(1000, 60, 300), BIN_EDGES.pm25);
    expect(psi(base, same)).toBeLessThan(0.01);
    expect(psi(base, shifted)).toBeGreaterThan(1);
  });

  it('compares only metrics present in both profiles', () => {
    const h = histogram([10, 20], BIN_EDGES.o3);
    expect(Object.keys(psiByMetric({ o3: h, pm25: h }, { o3: h, co: h }))).toEqual(['o3']);
  });
});
