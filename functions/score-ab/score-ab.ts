// One round of an A/B test: both production variants forecast the hours that arrived after the
// challenger's training data (each with its own category map, through SageMaker's TargetVariant),
// are scored against the readings, and the traffic weight moves toward the better one. When a
// variant holds 90% of the traffic it wins: the run deploys it alone.

import { startTime } from '../../core/deepar.js';
import { AB_VARIANTS, type ModelCard } from '../../core/model-card.js';
import type { ModelEndpoint, ObjectStore } from '../../core/ports.js';
import { readCategories, readChannel } from '../common/deepar-channel.js';
import { heldOutWindows, scoreWindows } from '../common/held-out.js';
import type { ScoreABInput, ScoreABResult } from './schema.js';

export interface ScoreABDeps {
  store: ObjectStore;
  endpoint: ModelEndpoint;
  modelCard: () => Promise<ModelCard | undefined>;
}

/** Fewer new hours than this and a round changes nothing. */
export const MIN_AB_HOURS = 6;
/** A variant holding at least this share of traffic wins the test. */
export const WIN_SHARE = 0.9;
/** No more hours than a forecast's horizon are scored per round. */
const MAX_AB_HOURS = 24;

const round = (v: number) => Math.round(v * 1000) / 1000;

const inactive: ScoreABResult = {
  active: false,
  action: 'none',
  championWeight: 1,
  challengerWeight: 0,
  servingChampionWeight: 1,
  servingChallengerWeight: 0,
  winner: null,
  winnerModel: null,
  finalConfigName: null,
  championWql: null,
  challengerWql: null,
  hours: 0,
  reasons: [],
};

export const scoreAB = async (input: ScoreABInput, deps: ScoreABDeps): Promise<ScoreABResult> => {
  const card = await deps.modelCard();
  const test = card?.abTest;
  if (!card || !test) return inactive;
  const weights = {
    championWeight: round(1 - test.challengerWeight),
    challengerWeight: round(test.challengerWeight),
  };
  const base = {
    ...inactive,
    active: true,
    ...weights,
    servingChampionWeight: weights.championWeight,
    servingChallengerWeight: weights.challengerWeight,
  };

  const series = await readChannel(deps.store, input.runId, 'test');
  const categories = await readCategories(deps.store, input.runId);
  // Hours of this run's data after the challenger's training snapshot: neither model saw them.
  const newestEnd = series.reduce(
    (max, s) => Math.max(max, startTime(s.start) + s.target.length * 3_600_000),
    0,
  );
  const since = Date.parse(test.challenger.dataWindowEnd ?? test.startedAt);
  const hours = Math.min(MAX_AB_HOURS, Math.floor((newestEnd - since) / 3_600_000));
  if (!categories || hours < MIN_AB_HOURS) {
    return {
      ...base,
      hours: Math.max(0, hours),
      reasons: [`A/B: ${Math.max(0, hours)} new hours, waiting for ${MIN_AB_HOURS}`],
    };
  }
  const championWql = await scoreWindows(
    heldOutWindows(series, categories, card.categories, hours),
    deps.endpoint,
    AB_VARIANTS.champion,
  );
  const challengerWql = await scoreWindows(
    heldOutWindows(series, categories, test.challenger.categories, hours),
    deps.endpoint,
    AB_VARIANTS.challenger,
  );
  const scored = { ...base, hours, championWql, challengerWql };
  if (championWql === null || challengerWql === null) {
    return { ...scored, reasons: [`A/B: no scorable series over the last ${hours} h`] };
  }
  const verdict = `challenger ${test.challenger.version} wQL ${round(challengerWql)} vs champion ${card.version} ${round(championWql)} over ${hours} h`;
  let w = test.challengerWeight;
  if (challengerWql <= championWql * (1 - input.promotionMargin)) w = Math.min(1, w + input.abStep);
  else if (championWql <= challengerWql * (1 - input.promotionMargin))
    w = Math.max(0, w - input.abStep);
  else return { ...scored, reasons: [`A/B: no clear winner yet: ${verdict}`] };

  const shifted = { ...scored, championWeight: round(1 - w), challengerWeight: round(w) };
  if (w >= WIN_SHARE || w <= 1 - WIN_SHARE) {
    const winner = w >= WIN_SHARE ? 'challenger' : 'champion';
    const winnerModel =
      winner === 'challenger' ? test.challenger.trainingJobName : card.trainingJobName;
    return {
      ...shifted,
      action: 'conclude',
      winner,
      winnerModel,
      // Endpoint config names are unique: this run's id keeps the final config distinct.
      finalConfigName: `${winnerModel}-final-${input.runId.slice(-6)}`.slice(0, 63),
      reasons: [`A/B: ${winner} wins: ${verdict}`],
    };
  }
  return {
    ...shifted,
    action: 'shift',
    reasons: [`A/B: weights → challenger ${round(w)}: ${verdict}`],
  };
};
