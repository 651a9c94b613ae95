import { describe, expect, it } from 'vitest';
import { HyperparameterError } from '../../../../forecasting/errors.js';
import {
  parseHyperparameters,
  seasonLength,
} from '../../../../forecasting/model/hyperparameters.js';
import { HYPERPARAMETERS } from '../synthetic.js';

describe('parseHyperparameters', () => {
  it('parses the DeepAR string values the state machine passes', () => {
    // Act
    const hp = parseHyperparameters(HYPERPARAMETERS);

    // Assess
    expect(hp).toMatchObject({
      timeFreq: 'H',
      predictionLength: 24,
      contextLength: 72,
      epochs: 1,
      likelihood: 'student-T',
      numEvalSamples: 100,
      testQuantiles: [0.1, 0.5, 0.9],
    });
  });

  it('names every unknown hyperparameter', () => {
    // Prepare
    const input = { ...HYPERPARAMETERS, learning_rte: '0.1', foo: '1' };

    // Act + Assess
    expect(() => parseHyperparameters(input)).toThrowError(
      /unknown hyperparameters: learning_rte, foo/,
    );
  });

  it('names missing required ones and unparsable numbers together', () => {
    // Prepare
    const { epochs: _epochs, ...rest } = HYPERPARAMETERS;
    const input = { ...rest, prediction_length: 'twenty' };

    // Act
    let error: unknown;
    try {
      parseHyperparameters(input);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(HyperparameterError);
    expect((error as Error).name).toBe('HyperparameterError');
    expect((error as Error).message).toMatch(/missing required hyperparameters: epochs/);
    expect((error as Error).message).toMatch(
      /prediction_length must be an integer >= 1, got "twenty"/,
    );
  });

  it('rejects non-string values, bad quantiles and bad likelihoods', () => {
    // Prepare
    const input = {
      ...HYPERPARAMETERS,
      epochs: 5,
      test_quantiles: '[0.1, 1.5]',
      likelihood: 'laplace',
    };

    // Act + Assess
    expect(() => parseHyperparameters(input)).toThrowError(
      /epochs must be a string.*likelihood must be one of.*test_quantiles must be a JSON array/,
    );
  });

  it('derives the season from time_freq', () => {
    // Act + Assess
    expect(seasonLength('H')).toBe(24);
    expect(seasonLength('2H')).toBe(12);
    expect(seasonLength('D')).toBe(7);
    expect(seasonLength('15min')).toBe(96);
    expect(seasonLength('5H')).toBe(1);
  });
});
