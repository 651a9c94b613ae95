import { describe, expect, it } from 'vitest';
import { parseHyperparameters } from '../../../../forecasting/model/hyperparameters.js';
import {
  gridQuantile,
  seasonalNaive,
  seasonalNaivePoint,
} from '../../../../forecasting/model/seasonal-naive.js';

const hp = (predictionLength: number, timeFreq = 'H') =>
  parseHyperparameters({
    time_freq: timeFreq,
    prediction_length: String(predictionLength),
    context_length: String(predictionLength),
    epochs: '1',
  });

const config = (levels: number[]) => ({
  outputTypes: ['mean', 'quantiles'] as const,
  quantiles: levels.map((level) => ({ key: String(level), level })),
  numSamples: 10,
  seed: 1,
});

describe('seasonalNaivePoint', () => {
  it('repeats the last season and bridges a gap with the season before', () => {
    // Prepare: season 3; the latest value of the middle phase is missing
    const target = [1, 2, 3, 10, null, 30];

    // Act
    const point = seasonalNaivePoint(target, target.length, 4, 3, 0);

    // Assess
    expect(point).toEqual([10, 2, 30, 10]);
  });

  it('falls back to the last observation, then to the given level', () => {
    // Act + Assess
    expect(seasonalNaivePoint([null, 5], 2, 2, 24, 99)).toEqual([5, 5]);
    expect(seasonalNaivePoint([null, null], 2, 2, 24, 99)).toEqual([99, 99]);
  });
});

describe('gridQuantile', () => {
  it('interpolates between grid points and stays flat beyond them', () => {
    // Prepare: 4 points at levels 0.125, 0.375, 0.625, 0.875
    const grid = [0, 1, 2, 3];

    // Act + Assess
    expect(gridQuantile(grid, 0.5)).toBeCloseTo(1.5);
    expect(gridQuantile(grid, 0.01)).toBe(0);
    expect(gridQuantile(grid, 0.99)).toBe(3);
  });
});

describe('seasonalNaive train', () => {
  // Metric 0: a long, noisy daily series; metric 1: too short for its own residual pool.
  const noisy = Array.from(
    { length: 24 * 20 },
    (_, t) => 50 + 10 * Math.sin((2 * Math.PI * t) / 24) + ((t * 7919) % 13) - 6,
  );
  const short = Array.from({ length: 26 }, (_, t) => (t % 24) + 1);

  it('learns a per-metric distribution only where there are enough residuals', () => {
    // Act
    const model = seasonalNaive.train(
      [
        { start: '2024-01-01 00:00:00', target: noisy, cat: [0, 0] },
        { start: '2024-01-01 00:00:00', target: short, cat: [0, 1] },
      ],
      hp(2),
      0,
    );

    // Assess
    expect(Object.keys(model.residuals.byMetric)).toEqual(['0']);
    expect(model.residuals.global).toHaveLength(2);
    expect(model.residuals.byMetric['1']).toBeUndefined();
    expect(model.level.byMetric['1']).toBeGreaterThan(0);
  });

  it('clamps forecasts of a series near zero at zero', () => {
    // Prepare
    const model = seasonalNaive.train(
      [{ start: '2024-01-01 00:00:00', target: noisy, cat: [0, 0] }],
      hp(3),
      0,
    );

    // Act
    const prediction = seasonalNaive.predict(
      model,
      { start: '2024-01-01 00:00:00', target: Array(48).fill(0), cat: [0, 0] },
      config([0.1, 0.9]),
    );

    // Assess
    expect(prediction.quantiles?.['0.1']?.every((v) => v === 0)).toBe(true);
    expect(prediction.quantiles?.['0.9']?.every((v) => v > 0)).toBe(true);
    expect(prediction.mean?.every((v) => v >= 0)).toBe(true);
  });

  it('parse rejects JSON that is not a seasonal-naive model', () => {
    // Act + Assess
    expect(() => seasonalNaive.parse({ engine: 'seasonal-naive', formatVersion: 2 })).toThrowError(
      /not a seasonal-naive model/,
    );
  });
});
