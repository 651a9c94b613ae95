import { describe, expect, it } from 'vitest';
import {
  loadRetrainDefinition,
  resolveStartTime,
  substitute,
  UnresolvedSubstitutionError,
  UnsupportedContextPathError,
} from '../../../local/retrain-runner.js';
import { DEFAULT_POLICY, localSubstitutions } from '../../../local/retrain-service.js';
import { loadStageParams } from '../../../local/stage-params.js';
import { dollarBrace as ph } from '../../fixtures/dollar-brace.js';
import { RETRAIN_SETTINGS } from '../../fixtures/retrain-settings.js';

describe('retrain definition substitutions', () => {
  /** Runtime settings behind the substitutions. */
  const SETTINGS = RETRAIN_SETTINGS;

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
    const values = localSubstitutions(SETTINGS, DEFAULT_POLICY);
    // Act
    const definition = await loadRetrainDefinition(values);
    // Assess
    expect(JSON.stringify(definition)).not.toContain(ph('').slice(0, 2));
    expect(definition.StartAt).toBe('Configure');
    const states = definition.States as Record<string, { Resource?: string }>;
    expect(states.Train?.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
    expect(states.RunEtl?.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
  });

  it('gives the local twin the deployed default stage policy, waits included', () => {
    // Prepare: the values serverless.yml substitutes into the deployed definition.
    const deployed = loadStageParams();

    // Act
    const local = localSubstitutions(SETTINGS, DEFAULT_POLICY);

    // Assess
    expect(local.BakeSeconds).toBe(String(deployed.bakeSeconds));
    expect(local.TerminationWaitSeconds).toBe(String(deployed.terminationWaitSeconds));
    expect(local.DeploymentStrategy).toBe(deployed.deploymentStrategy);
    expect(local.PromotionMargin).toBe(String(deployed.promotionMargin));
  });
});

describe('the execution start time from the runtime clock', () => {
  const AT = '2026-11-25T19:05:07.000Z';

  it("gives the deployed definition's Configure state the start time handed in", async () => {
    // Prepare
    const definition = await loadRetrainDefinition(
      localSubstitutions(RETRAIN_SETTINGS, DEFAULT_POLICY),
    );
    // Act
    const resolved = resolveStartTime(definition, AT) as typeof definition;
    // Assess: the run's startedAt (and so its model's version) is that time; nothing reads the path.
    const configure = (resolved.States as Record<string, { Parameters: Record<string, unknown> }>)
      .Configure;
    expect(configure?.Parameters.startedAt).toBe(AT);
    expect(configure?.Parameters['startedAt.$']).toBeUndefined();
    expect(configure?.Parameters['runId.$']).toBe('$$.Execution.Name');
    expect(JSON.stringify(resolved)).not.toContain('$$.Execution.StartTime');
  });

  it('resolves the path at any depth and leaves every other field as it is', () => {
    const resolved = resolveStartTime(
      {
        a: [{ 'at.$': '$$.Execution.StartTime', 'b.$': '$.b', c: 'x' }],
        'd.$': '$$.Execution.Name',
      },
      AT,
    );
    expect(resolved).toEqual({ a: [{ at: AT, 'b.$': '$.b', c: 'x' }], 'd.$': '$$.Execution.Name' });
  });

  it('refuses the path inside an intrinsic function, which it cannot resolve', () => {
    expect(() =>
      resolveStartTime({ 'v.$': "States.Format('v-{}', $$.Execution.StartTime)" }, AT),
    ).toThrowError(UnsupportedContextPathError);
  });
});
