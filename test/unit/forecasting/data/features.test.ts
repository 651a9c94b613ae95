import { describe, expect, it } from 'vitest';
import {
  calendarOf,
  originState,
  POINT_FEATURES,
  pointFeatures,
  startPhase,
  toZ,
  viewSeries,
} from '../../../../forecasting/data/features.js';
import { RidgeAccumulator } from '../../../../forecasting/model/ridge.js';

describe('features', () => {
  it('measures level and last value over observed points only', () => {
    // Prepare: a gap at the end; the last observation is 9
    const view = viewSeries([1, 3, null, 9, null], 24, 0);

    // Act
    const state = originState(view, 5, 0);

    // Assess
    expect(state.last).toBeCloseTo(toZ(9));
    expect(state.level).toBeCloseTo((toZ(1) + toZ(3) + toZ(9)) / 3);
  });

  it('falls back to the given level when there is no history at all', () => {
    // Prepare
    const view = viewSeries([null, null], 24, 0);
    const x = new Float64Array(POINT_FEATURES);

    // Act
    const state = originState(view, 2, 2.5);
    pointFeatures(view, state, 1, x);

    // Assess
    expect(state.level).toBe(2.5);
    expect([...x].every(Number.isFinite)).toBe(true);
    expect(x[1]).toBe(0);
  });

  it('uses the same hour yesterday as the seasonal lag', () => {
    // Prepare: value = hour of day
    const view = viewSeries(
      Array.from({ length: 48 }, (_, t) => t % 24),
      24,
      0,
    );
    const x = new Float64Array(POINT_FEATURES);
    const state = originState(view, 48, 0);

    // Act
    pointFeatures(view, state, 5, x);

    // Assess: step 5 from midnight is 04:00, yesterday's 04:00 was 4
    expect((x[4] ?? 0) + state.level).toBeCloseTo(toZ(4));
  });

  it('reads the hour and the time of year from the DeepAR start', () => {
    // Act
    const phase = startPhase('2024-01-01 13:00:00', 'H', 24);
    const july = calendarOf('2023-07-02 12:00:00', 'H');

    // Assess
    expect(phase).toBe(13);
    expect(july.year0).toBeGreaterThan(0.4);
    expect(july.year0).toBeLessThan(0.6);
    expect(july.yearPerStep).toBeCloseTo(1 / (365.2425 * 24));
  });
});

describe('RidgeAccumulator', () => {
  it('recovers the coefficients of an exact linear relation', () => {
    // Prepare: y = 2 + 3a - b
    const ridge = new RidgeAccumulator(3);
    for (let i = 0; i < 50; i++) {
      const a = Math.sin(i);
      const b = Math.cos(3 * i);
      ridge.add(Float64Array.from([1, a, b]), 2 + 3 * a - b);
    }

    // Act
    const coef = ridge.solve(1e-9);

    // Assess
    expect(coef[0]).toBeCloseTo(2, 5);
    expect(coef[1]).toBeCloseTo(3, 5);
    expect(coef[2]).toBeCloseTo(-1, 5);
    expect(ridge.count).toBe(50);
  });
});
