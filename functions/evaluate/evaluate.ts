// Champion vs challenger on the same held-out window (the last prediction_length points of every
// series of this run's test channel): the challenger's test wQL from its training job against the
// champion's wQL that check-drift measured through the serving endpoint on those windows.
import { SmogcastError } from '../../core/errors.js';
import { WQL_METRIC } from '../../core/forecast-scores.js';
import type { CandidateScore, Evaluation } from '../../core/model-card.js';
import type { Candidate, EvaluateInput, FailedCandidate } from './schema.js';

/** Every candidate of a run that trained both failed: nothing to evaluate, the champion stays. */
export class NoCandidateTrainedError extends SmogcastError {
  constructor(failed: readonly FailedCandidate[]) {
    super(
      `no candidate trained: ${failed.map((f) => `${f.algorithm} failed (${f.error}: ${f.cause || 'no cause given'})`).join('; ')}`,
    );
    this.name = 'NoCandidateTrainedError';
  }
}

const isFailed = (c: Candidate | FailedCandidate): c is FailedCandidate => 'failed' in c;
const failureOf = (f: FailedCandidate) => `${f.error}: ${f.cause || 'no cause given'}`;

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

/** The candidates' scores on the held-out window, and the one that challenges the champion. */
export interface Pick {
  winner: Candidate;
  candidates: CandidateScore[];
  choice: string;
}

const wqlOf = (c: Candidate): number | null => {
  const v = c.metrics.find((m) => m.MetricName === WQL_METRIC)?.Value;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/**
 * The lowest wQL wins; a tie goes to the engine (served in process: no endpoint to pay for). A
 * candidate without a score never beats one with a score.
 */
export const pickCandidate = (candidates: readonly Candidate[]): Pick => {
  const scored = candidates.map((c) => ({ c, wql: wqlOf(c) }));
  const rank = (x: (typeof scored)[number]) => x.wql ?? Number.POSITIVE_INFINITY;
  const best = [...scored].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.c.algorithm === 'smogcast' ? -1 : 0) - (b.c.algorithm === 'smogcast' ? -1 : 0),
  )[0] as (typeof scored)[number];
  const scores = scored.map(({ c, wql }) => ({
    algorithm: c.algorithm,
    trainingJobName: c.trainingJobName,
    wql: wql === null ? null : round(wql),
  }));
  const listed = scores.map((s) => `${s.algorithm} wQL ${s.wql ?? 'none'}`).join(' vs ');
  const tie = scored.filter((s) => s.wql !== null && s.wql === best.wql).length > 1;
  const choice = `candidates on the same held-out window: ${listed}; ${best.c.algorithm} challenges${tie ? ' (a tie goes to the engine: no endpoint to pay for)' : ''}`;
  return { winner: best.c, candidates: scores, choice };
};

/**
 * Evaluate with candidates: the better trained candidate against the champion, every score
 * recorded. A candidate whose training failed is recorded with why and cannot challenge; when
 * none trained the run fails (NoCandidateTrainedError) and the champion keeps serving.
 */
export const evaluateCandidates = (
  input: EvaluateInput & { candidates: Array<Candidate | FailedCandidate> },
): Evaluation & { winner: Candidate } => {
  const failed = input.candidates.filter(isFailed);
  const trained = input.candidates.filter((c): c is Candidate => !isFailed(c));
  if (trained.length === 0) throw new NoCandidateTrainedError(failed);
  const pick = pickCandidate(trained);
  const failedScores: CandidateScore[] = failed.map((f) => ({
    algorithm: f.algorithm,
    trainingJobName: '',
    wql: null,
    failure: failureOf(f),
  }));
  const choice = [
    ...failed.map((f) => `${f.algorithm} training failed (${failureOf(f)})`),
    pick.choice,
  ].join('; ');
  const evaluation = evaluateChallenger({ ...input, challengerMetrics: pick.winner.metrics });
  return {
    ...evaluation,
    reason: `${choice}; ${evaluation.reason}`,
    candidates: [...pick.candidates, ...failedScores],
    choice,
    winner: pick.winner,
  };
};
