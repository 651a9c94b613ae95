import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BOTH_EXTRA_STATES,
  DEFAULT_ENGINE_ASSUMPTIONS,
  ENGINE_PROMOTED_RUN_PATH,
  engineCanaryRunPath,
  monthlyCostFor,
} from '../../../../deploy/cost/algorithm.js';
import { monthlyCost } from '../../../../deploy/cost/model.js';
import { PRICES } from '../../../../deploy/cost/prices.js';
import { COST_FLEET, COST_STAGE } from '../../../fixtures/cost-inputs.js';

const STAGE = COST_STAGE;
const FLEET = COST_FLEET;

describe('monthlyCostFor', () => {
  const deepar = monthlyCost(FLEET, STAGE, PRICES);

  it('is the DeepAR bill for deepar', () => {
    expect(monthlyCostFor('deepar', FLEET, STAGE, PRICES)).toEqual(deepar);
  });

  it('bills no SageMaker for smogcast, and the train-engine Lambda instead of the job', () => {
    const engine = monthlyCostFor('smogcast', FLEET, STAGE, PRICES);
    expect(engine.lines.filter((l) => l.service === 'SageMaker')).toEqual([]);
    expect(engine.fixedUsd).toBe(0);
    // 5 runs × 300 s × 6 GB.
    const training = engine.lines.find((l) => l.item === 'train-engine duration');
    expect(training?.quantity).toBeCloseTo(
      5 * DEFAULT_ENGINE_ASSUMPTIONS.engineTrainingSeconds * 6,
    );
    expect(engine.lines.some((l) => l.item.includes('the engine in process') && l.serving)).toBe(
      true,
    );
    const endpoint = deepar.lines.find((l) => l.item.startsWith('endpoint'))?.usd ?? 0;
    expect(engine.totalUsd).toBeLessThan(deepar.totalUsd - endpoint);
  });

  it('keeps the endpoint for both and adds the engine’s training', () => {
    const both = monthlyCostFor('both', FLEET, STAGE, PRICES);
    expect(both.fixedUsd).toBe(deepar.fixedUsd);
    expect(both.totalUsd).toBeGreaterThan(deepar.totalUsd);
    expect(both.lines.some((l) => l.item === 'train-engine duration')).toBe(true);
  });
});

describe('the engine paths', () => {
  const asl = JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, '../../../../state-machines/retrain.asl.json'),
      'utf8',
    ),
  ) as { States: Record<string, Record<string, unknown>> };
  const successors = (name: string): string[] => {
    const state = asl.States[name];
    if (!state) throw new Error(`no state ${name}`);
    const choices = (state.Choices as Array<{ Next: string }> | undefined) ?? [];
    return [state.Next, state.Default, ...choices.map((c) => c.Next)].filter(
      (n): n is string => typeof n === 'string',
    );
  };

  it('follow edges of state-machines/retrain.asl.json', () => {
    for (const runPath of [
      ENGINE_PROMOTED_RUN_PATH,
      engineCanaryRunPath(600),
      engineCanaryRunPath(0),
    ]) {
      for (let i = 1; i < runPath.length; i++) {
        const [from, to] = [runPath[i - 1], runPath[i]];
        expect(successors(from as string), `${from} → ${to}`).toContain(to);
      }
    }
    // A 600 s bake: ten polls of a minute.
    expect(engineCanaryRunPath(600).filter((s) => s === 'CheckCanary')).toHaveLength(10);
    // both: the Parallel, the pick and the hand-over exist (the engine branch is inside TrainBoth).
    for (const name of BOTH_EXTRA_STATES.filter((s) => s !== 'TrainEngineCandidate')) {
      expect(asl.States[name], name).toBeDefined();
    }
    expect(successors('TrainBoth')).toContain('EvaluateCandidates');
    expect(successors('EvaluateCandidates')).toContain('TakeWinner');
  });
});
