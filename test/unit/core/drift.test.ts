import { describe, expect, it } from 'vitest';
import { BIN_EDGES, histogram, psi, psiByMetric } from '../../../core/drift.js';

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

describe('PSI on samples of the same distribution', () => {
  it('stays well below the drift threshold for a few hundred readings, and flags a ×3 shift', () => {
    // Prepare: a seeded log-normal "pollution" distribution.
    let state = 7;
    const uniform = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return (state + 0.5) / 2 ** 31;
    };
    const draw = (n: number, scale = 1) =>
      Array.from({ length: n }, () => {
        const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
        return scale * Math.exp(3.4 + 0.6 * z);
      });
    const baseline = histogram(draw(420), BIN_EDGES.pm25);
    // Act
    const same = Array.from({ length: 20 }, () =>
      psi(baseline, histogram(draw(200), BIN_EDGES.pm25)),
    );
    const shifted = psi(baseline, histogram(draw(200, 3), BIN_EDGES.pm25));
    // Assess
    expect(Math.max(...same)).toBeLessThan(0.2);
    expect(shifted).toBeGreaterThan(0.5);
  });
});
