import { describe, expect, it } from 'vitest';
import { evaluateChallenger } from '../../../../functions/evaluate/evaluate.js';

const metrics = (wql: number) => [
  { MetricName: 'test:RMSE', Value: 9 },
  { MetricName: 'test:mean_wQuantileLoss', Value: wql },
];
const base = {
  championVersion: 'v1',
  championRecentWql: 0.3,
  championBacktestWql: 0.2,
  promotionMargin: 0.1,
};

describe('evaluate: champion vs challenger', () => {
  it('promotes the first model when there is no champion', () => {
    const e = evaluateChallenger({
      ...base,
      challengerMetrics: metrics(0.9),
      championVersion: null,
    });
    expect(e.promote).toBe(true);
    expect(e.reason).toContain('no champion');
  });

  it('promotes a challenger better than the champion by the margin, on the same window', () => {
    const e = evaluateChallenger({ ...base, challengerMetrics: metrics(0.26) });
    expect(e).toMatchObject({ promote: true, challengerWql: 0.26, championWql: 0.3 });
    expect(e.reason).toContain('≤ 0.27');
  });

  it('rejects a challenger that is better but not by the margin', () => {
    const e = evaluateChallenger({ ...base, challengerMetrics: metrics(0.28) });
    expect(e.promote).toBe(false);
    expect(e.reason).toMatch(/^not better/);
  });

  it("falls back to the champion's backtest when it could not be scored on the new window", () => {
    const e = evaluateChallenger({
      ...base,
      championRecentWql: null,
      challengerMetrics: metrics(0.19),
    });
    expect(e).toMatchObject({ promote: false, championWql: 0.2 });
  });

  it('rejects a challenger whose training job reported no wQL', () => {
    const e = evaluateChallenger({
      ...base,
      challengerMetrics: [{ MetricName: 'test:RMSE', Value: 1 }],
    });
    expect(e.promote).toBe(false);
  });
});
