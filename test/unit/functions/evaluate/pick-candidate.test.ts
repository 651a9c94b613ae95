import { describe, expect, it } from 'vitest';
import {
  evaluateCandidates,
  NoCandidateTrainedError,
  pickCandidate,
} from '../../../../functions/evaluate/evaluate.js';
import type { Candidate, FailedCandidate } from '../../../../functions/evaluate/schema.js';

const candidate = (algorithm: Candidate['algorithm'], wql?: number): Candidate => ({
  trainingJobName: algorithm === 'deepar' ? 'smogcast-v1' : 'smogcast-engine-v1',
  modelDataUrl: `s3://lake/${algorithm}`,
  metrics: wql === undefined ? [] : [{ MetricName: 'test:mean_wQuantileLoss', Value: wql }],
  algorithm,
});

describe('pickCandidate', () => {
  it('picks the lower wQL on the held-out window and lists both scores', () => {
    const pick = pickCandidate([candidate('deepar', 0.3), candidate('smogcast', 0.4)]);
    expect(pick.winner.algorithm).toBe('deepar');
    expect(pick.candidates).toEqual([
      { algorithm: 'deepar', trainingJobName: 'smogcast-v1', wql: 0.3 },
      { algorithm: 'smogcast', trainingJobName: 'smogcast-engine-v1', wql: 0.4 },
    ]);
    expect(pick.choice).toContain('deepar wQL 0.3 vs smogcast wQL 0.4; deepar challenges');
  });

  it('gives a tie to the engine (no endpoint to pay for), and says so', () => {
    const pick = pickCandidate([candidate('deepar', 0.3), candidate('smogcast', 0.3)]);
    expect(pick.winner.algorithm).toBe('smogcast');
    expect(pick.choice).toContain('a tie goes to the engine');
  });

  it('never picks a candidate without a score over one with a score', () => {
    const pick = pickCandidate([candidate('smogcast'), candidate('deepar', 0.9)]);
    expect(pick.winner.algorithm).toBe('deepar');
    expect(pick.candidates[0]?.wql).toBeNull();
  });
});

describe('evaluateCandidates', () => {
  it('holds the better candidate against the champion and keeps both scores in the reason', () => {
    const evaluation = evaluateCandidates({
      candidates: [candidate('deepar', 0.5), candidate('smogcast', 0.2)],
      challengerMetrics: [],
      championVersion: 'v0',
      championRecentWql: 0.3,
      championBacktestWql: 0.3,
      promotionMargin: 0.02,
    });
    expect(evaluation).toMatchObject({ promote: true, challengerWql: 0.2, championWql: 0.3 });
    expect(evaluation.winner.algorithm).toBe('smogcast');
    expect(evaluation.reason).toMatch(/^candidates on the same held-out window: .*; better: /);
  });

  const failed = (algorithm: Candidate['algorithm'], error: string): FailedCandidate => ({
    algorithm,
    failed: true,
    error,
    cause: `${algorithm} could not train`,
  });
  const champion = {
    challengerMetrics: [],
    championVersion: 'v0',
    championRecentWql: 0.3,
    championBacktestWql: 0.3,
    promotionMargin: 0.02,
  };

  it('lets the candidate that trained challenge when the other failed, and records why', () => {
    // Act
    const evaluation = evaluateCandidates({
      ...champion,
      candidates: [failed('deepar', 'SageMaker.ValidationException'), candidate('smogcast', 0.2)],
    });

    // Assess
    expect(evaluation).toMatchObject({ promote: true, challengerWql: 0.2 });
    expect(evaluation.winner.algorithm).toBe('smogcast');
    expect(evaluation.candidates).toContainEqual({
      algorithm: 'deepar',
      trainingJobName: '',
      wql: null,
      failure: 'SageMaker.ValidationException: deepar could not train',
    });
    expect(evaluation.reason).toMatch(
      /^deepar training failed \(SageMaker.ValidationException: deepar could not train\); candidates on the same held-out window: smogcast wQL 0.2; smogcast challenges; better: /,
    );
  });

  it("fails with every candidate's failure when none trained", () => {
    // Act
    const act = () =>
      evaluateCandidates({
        ...champion,
        candidates: [failed('deepar', 'States.Timeout'), failed('smogcast', 'Lambda.Unknown')],
      });

    // Assess
    expect(act).toThrow(NoCandidateTrainedError);
    expect(act).toThrow(
      'no candidate trained: deepar failed (States.Timeout: deepar could not train); smogcast failed (Lambda.Unknown: smogcast could not train)',
    );
  });
});
