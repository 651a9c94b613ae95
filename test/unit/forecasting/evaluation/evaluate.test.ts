import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../../forecasting/evaluation/evaluate.js';
import type { Series } from '../../../../forecasting/model/types.js';

const series: Series = { start: '2024-01-01 00:00:00', target: [1, 2, 3, 4, null, 6], cat: [0, 0] };

describe('evaluate', () => {
  it('scores only the last prediction_length points, skipping gaps', () => {
    // Prepare: predicts 5 everywhere for the last 3 points [4, null, 6]
    const seen: number[] = [];
    const predictor = (history: Series, levels: number[]) => {
      seen.push(history.target.length);
      return {
        mean: [5, 5, 5],
        quantiles: Object.fromEntries(levels.map((l) => [String(l), [5, 5, 5]])),
      };
    };

    // Act
    const metrics = evaluate([series], 3, [0.5], predictor);

    // Assess: errors -1 and +1; |y| total 10; loss at 0.5 = 2 * (0.5 + 0.5) = 2
    const value = Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    expect(seen).toEqual([3]);
    expect(value['test:RMSE']).toBeCloseTo(1);
    expect(value['test:wQuantileLoss[0.5]']).toBeCloseTo(0.2);
    expect(value['test:mean_wQuantileLoss']).toBeCloseTo(0.2);
    expect(value['test:coverage80']).toBe(0);
  });

  it('fails with NotEnoughDataError when no series is longer than the horizon', () => {
    // Act + Assess
    expect(() => evaluate([series], 6, [0.5], () => ({}))).toThrowError(/no series longer than/);
  });
});
