// Champion vs challenger on the same held-out window (the last prediction_length points of every
// series of this run's test channel): the challenger's test wQL from its training job against the
// champion's wQL that check-drift measured through the serving endpoint on those windows.
import { WQL_METRIC } from '../../core/forecast-scores.js';
import type { Evaluation } from '../../core/model-card.js';
import type { EvaluateInput } from './schema.js';

const round = (v: number) => Math.round(v * 10_000) / 10_000;

export const evaluateChallenger = (input: EvaluateInput): Evaluation => {
  const challengerWql =
    input.challengerMetrics.find((m) => m.MetricName === WQL_METRIC)?.Value ?? null;
  const base = {
    challengerWql,
    championWql: input.championRecentWql,
    championVersion: input.championVersion,
    margin: input.promotionMargin,
  };
  if (input.championVersion === null) {
    return { ...base, promote: true, reason: 'no champion: the first model is promoted' };
  }
  if (challengerWql === null || !Number.isFinite(challengerWql)) {
    return { ...base, promote: false, reason: `the training job reported no ${WQL_METRIC}` };
  }
  // When the champion could not be scored on the new window, its backtest is the best evidence.
  const championWql = input.championRecentWql ?? input.championBacktestWql;
  if (championWql === null) {
    return { ...base, promote: true, reason: 'the champion has no score to beat' };
  }
  const bar = championWql * (1 - input.promotionMargin);
  const verdict = `challenger wQL ${round(challengerWql)} vs champion ${input.championVersion} ${round(championWql)} (must be ≤ ${round(bar)}, margin ${input.promotionMargin})`;
  return challengerWql <= bar
    ? { ...base, championWql, promote: true, reason: `better: ${verdict}` }
    : { ...base, championWql, promote: false, reason: `not better: ${verdict}` };
};
