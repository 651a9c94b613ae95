import { describe, expect, it } from 'vitest';
import { policyFromParams } from '../../../local/retrain-service.js';
import { loadStageParams, stageParamsFrom } from '../../../local/stage-params.js';

const TEMPLATE = `
service: demo
params:
  default:
    deploymentStrategy: canary
    linearStepPercent: "25"
    bakeSeconds: "600"
    terminationWaitSeconds: "300"
    psiThreshold: "0.2"
    qualityDriftRatio: "1.5"
    maxModelAgeHours: "168"
    promotionMargin: "0.02"
  prod:
    bakeSeconds: "900"
resources:
  Resources:
    Role:
      Properties:
        Resource: !Sub arn:\${AWS::Partition}:logs:*
`;

describe('stage params', () => {
  it('reads params.default, overlaid with a named stage, past CloudFormation tags', () => {
    // Act
    const defaults = stageParamsFrom(TEMPLATE);
    const prod = stageParamsFrom(TEMPLATE, 'prod');

    // Assess
    expect(defaults.bakeSeconds).toBe('600');
    expect(prod.bakeSeconds).toBe('900');
    expect(prod.terminationWaitSeconds).toBe('300');
  });

  it('types the retraining params into a policy and refuses an unknown strategy', () => {
    const params = stageParamsFrom(TEMPLATE);
    expect(policyFromParams(params)).toEqual({
      // A stage without the param trains DeepAR, as before there was a choice.
      algorithm: 'deepar',
      strategy: 'canary',
      linearStepPercent: 25,
      bakeSeconds: 600,
      terminationWaitSeconds: 300,
      psiThreshold: 0.2,
      qualityDriftRatio: 1.5,
      maxModelAgeHours: 168,
      promotionMargin: 0.02,
      // A stage without the engine canary's params gets 10% of devices and a 10% tolerance.
      engineCanaryPercent: 10,
      canaryLossTolerance: 0.1,
    });
    expect(() => policyFromParams({ ...params, deploymentStrategy: 'random' })).toThrow();
    expect(policyFromParams({ ...params, algorithm: 'both' }).algorithm).toBe('both');
    expect(() => policyFromParams({ ...params, algorithm: 'prophet' })).toThrow();
  });

  it('refuses, when the stage is read, a policy the retrain steps would refuse mid-run', () => {
    const params = stageParamsFrom(TEMPLATE);
    // check-drift's own schema wants a positive age; 0 used to pass here and fail at CheckDrift
    expect(() => policyFromParams({ ...params, maxModelAgeHours: '0' })).toThrow(
      /serverless\.yml params:[\s\S]*maxModelAgeHours/,
    );
    expect(() => policyFromParams({ ...params, promotionMargin: '2' })).toThrow(/promotionMargin/);
    expect(() => policyFromParams({ ...params, linearStepPercent: '0' })).toThrow(
      /linearStepPercent/,
    );
  });

  it("accepts every stage of the repository's serverless.yml", () => {
    for (const stage of [undefined, 'prod']) {
      expect(() => policyFromParams(loadStageParams(stage))).not.toThrow();
    }
  });
});
