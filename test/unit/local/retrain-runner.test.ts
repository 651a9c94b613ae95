import { describe, expect, it } from 'vitest';

/** `${Name}` without writing a template-looking literal. */
const ph = (name: string) => ['$', '{', name, '}'].join('');

import {
  loadRetrainDefinition,
  substitute,
  UnresolvedSubstitutionError,
} from '../../../local/retrain-runner.js';
import { DEFAULT_POLICY, localSubstitutions } from '../../../local/retrain-service.js';

describe('retrain definition substitutions', () => {
  it('replaces every placeholder, escaping values for JSON', () => {
    const text = substitute(`{"a":"${ph('One')}","b":"x-${ph('Two')}"}`, {
      One: 'say "hi"',
      Two: '2',
    });
    expect(JSON.parse(text)).toEqual({ a: 'say "hi"', b: 'x-2' });
  });

  it('names every placeholder left without a value', () => {
    expect(() => substitute(`${ph('A')} ${ph('B')} ${ph('A')}`, {})).toThrowError(
      UnresolvedSubstitutionError,
    );
    expect(() => substitute(`${ph('A')} ${ph('B')} ${ph('A')}`, {})).toThrowError('A, B');
  });

  it('turns the deployed definition into a runnable one when every key is given', async () => {
    // Prepare: the values the local runtime gives every placeholder.
    const values = localSubstitutions(
      {
        bucket: 'lake',
        endpointName: 'smogcast',
        predictionLength: 24,
        contextLength: 72,
        historyDays: 28,
      },
      DEFAULT_POLICY,
    );
    // Act
    const definition = await loadRetrainDefinition(values);
    // Assess
    expect(JSON.stringify(definition)).not.toContain(ph('').slice(0, 2));
    expect(definition.StartAt).toBe('Configure');
    const states = definition.States as Record<string, { Resource?: string }>;
    expect(states.Train?.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    expect(states.RunEtl?.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
  });
});
