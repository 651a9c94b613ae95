import { describe, expect, it } from 'vitest';
import {
  planDeployment,
  requireSameVariantNames,
  scaledMs,
} from '../../../../../local/sagemaker/control-plane/deployment-config.js';

const blueGreen = (routing: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: routing, ...extra },
});

type SizeType = 'INSTANCE_COUNT' | 'CAPACITY_PERCENT';

/** A CANARY routing: `CanarySize` of the given type and value, baking 60 s unless told. */
const canary = (Type: SizeType, Value: number, WaitIntervalInSeconds = 60) => ({
  Type: 'CANARY',
  CanarySize: { Type, Value },
  WaitIntervalInSeconds,
});

/** A LINEAR routing: `LinearStepSize` of the given type and value, baking 60 s. */
const linear = (Type: SizeType, Value: number) => ({
  Type: 'LINEAR',
  LinearStepSize: { Type, Value },
  WaitIntervalInSeconds: 60,
});

describe('planDeployment', () => {
  it('shifts all at once with no bake when there is no DeploymentConfig', () => {
    // Act
    const plan = planDeployment(undefined, 1);

    // Assess
    expect(plan).toMatchObject({ type: 'ALL_AT_ONCE', waitIntervalSeconds: 0, alarmNames: [] });
    expect(plan.steps.map((s) => s.share)).toEqual([1]);
  });

  it('plans a canary of one instance out of two, then the rest', () => {
    // Act
    const plan = planDeployment(
      {
        ...blueGreen(canary('INSTANCE_COUNT', 1, 300), {
          TerminationWaitInSeconds: 120,
          MaximumExecutionTimeoutInSeconds: 1800,
        }),
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'errors' }] },
      } as never,
      2,
    );

    // Assess
    expect(plan.steps).toEqual([
      { activeInstances: 1, totalInstances: 2, share: 0.5 },
      { activeInstances: 2, totalInstances: 2, share: 1 },
    ]);
    expect(plan).toMatchObject({
      waitIntervalSeconds: 300,
      terminationWaitSeconds: 120,
      maximumExecutionTimeoutSeconds: 1800,
      alarmNames: ['errors'],
    });
  });

  it('sizes a CAPACITY_PERCENT canary in whole instances', () => {
    // Act
    const plan = planDeployment(blueGreen(canary('CAPACITY_PERCENT', 25)) as never, 4);

    // Assess
    expect(plan.steps.map((s) => s.share)).toEqual([0.25, 1]);
  });

  it('plans LINEAR steps until the whole new fleet takes traffic', () => {
    // Act
    const plan = planDeployment(blueGreen(linear('INSTANCE_COUNT', 1)) as never, 4);

    // Assess
    expect(plan.steps.map((s) => s.share)).toEqual([0.25, 0.5, 0.75, 1]);
  });

  it.each([
    [
      'a canary above 50% of the fleet',
      blueGreen(canary('INSTANCE_COUNT', 1)),
      1,
      /CanarySize must be at most 50%/,
    ],
    [
      'a percent canary that would take a one-instance fleet whole',
      blueGreen(canary('CAPACITY_PERCENT', 10)),
      1,
      /needs a new fleet larger than its canary/,
    ],
    [
      'a linear rollout of a single step',
      blueGreen(linear('CAPACITY_PERCENT', 50)),
      1,
      /needs more than one step/,
    ],
    [
      'a canary without CanarySize',
      blueGreen({ Type: 'CANARY', WaitIntervalInSeconds: 60 }),
      2,
      /CanarySize is required/,
    ],
    [
      'a linear step below 10%',
      blueGreen(linear('CAPACITY_PERCENT', 5)),
      4,
      /LinearStepSize must be 10-50%/,
    ],
    [
      'LinearStepSize on a canary',
      blueGreen({
        ...canary('INSTANCE_COUNT', 1),
        LinearStepSize: { Type: 'INSTANCE_COUNT', Value: 1 },
      }),
      2,
      /LinearStepSize is only valid/,
    ],
    [
      'a timeout shorter than the baking periods',
      blueGreen(
        { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 600 },
        { TerminationWaitInSeconds: 0, MaximumExecutionTimeoutInSeconds: 600 },
      ),
      2,
      /MaximumExecutionTimeoutInSeconds \(600\) must be larger/,
    ],
    ['a rolling update', { RollingUpdatePolicy: { WaitIntervalInSeconds: 60 } }, 2, /Rolling/],
  ])('refuses %s with ValidationException', (_name, config, instances, message) => {
    // Act
    const attempt = () => planDeployment(config as never, instances);

    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({
        name: 'ValidationException',
        message: expect.stringMatching(message),
      }),
    );
  });
});

describe('scaledMs', () => {
  it('turns SageMaker seconds into local milliseconds', () => {
    // Assess
    expect(scaledMs(600, 1 / 60)).toBe(10_000);
    expect(scaledMs(60, 0.01)).toBe(600);
    expect(scaledMs(60, 0)).toBe(0);
  });
});

describe('requireSameVariantNames', () => {
  const endpoint = (...variants: string[]) => ({ arn: 'arn:endpoint/smogcast', variants });
  const config = (...variants: string[]) => ({ arn: 'arn:endpoint-config/next', variants });

  it('accepts the same variant names, in any order', () => {
    // Act
    const same = () => requireSameVariantNames(endpoint('primary'), config('primary'));
    const reordered = () =>
      requireSameVariantNames(endpoint('champion', 'challenger'), config('challenger', 'champion'));

    // Assess
    expect(same).not.toThrow();
    expect(reordered).not.toThrow();
  });

  it('refuses a renamed, added or removed variant with ValidationException', () => {
    const cases: Array<[string[], string[]]> = [
      [['primary'], ['champion', 'challenger']],
      [['champion', 'challenger'], ['primary']],
      [['primary'], ['primary', 'shadow']],
      [['primary'], ['main']],
    ];
    for (const [serving, next] of cases) {
      // Act
      const act = () => requireSameVariantNames(endpoint(...serving), config(...next));

      // Assess
      expect(act).toThrow(
        expect.objectContaining({
          name: 'ValidationException',
          message: expect.stringContaining('same variant names'),
        }),
      );
    }
  });
});
