import { describe, expect, it } from 'vitest';
import type { TrippedAlarm } from '../../../../../local/sagemaker/control-plane/alarms.js';
import { Rollout } from '../../../../../local/sagemaker/control-plane/blue-green.js';
import { planDeployment } from '../../../../../local/sagemaker/control-plane/deployment-config.js';

const canary = (alarms: string[] = ['errors']) =>
  planDeployment(
    {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'CANARY',
          CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 },
          WaitIntervalInSeconds: 600,
        },
        TerminationWaitInSeconds: 60,
      },
      AutoRollbackConfiguration: alarms.length
        ? { Alarms: alarms.map((AlarmName) => ({ AlarmName })) }
        : undefined,
    },
    2,
  );

/** Polls a condition a bounded number of times. */
const until = async (condition: () => boolean) => {
  for (let attempt = 0; attempt < 1000 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (!condition()) throw new Error('condition not reached');
};

const hooks = (trip: () => TrippedAlarm | undefined = () => undefined) => {
  const stages: string[] = [];
  return {
    stages,
    hooks: {
      now: () => new Date(),
      tripped: trip,
      onStage: async (stage: { Status: string }, step: { share: number } | undefined) => {
        stages.push(`${stage.Status}@${step?.share}`);
      },
    },
  };
};

describe('Rollout', () => {
  it('activates the canary, bakes, shifts the rest, bakes, then waits to terminate blue', async () => {
    // Prepare
    const { stages, hooks: h } = hooks();
    const rollout = new Rollout('green', canary(), 0, h);

    // Act
    const outcome = await rollout.run();

    // Assess
    expect(outcome).toEqual({ kind: 'promoted' });
    expect(stages).toEqual([
      'ActivatingTraffic@0.5',
      'Baking@0.5',
      'ActivatingTraffic@1',
      'Baking@1',
      'Deleting@1',
    ]);
    expect(rollout.share).toBe(1);
  });

  it('rolls all traffic back to blue as soon as an alarm trips during the bake', async () => {
    // Prepare: a bake long enough that only the alarm can end it
    let failing = false;
    const trip: TrippedAlarm = {
      alarmName: 'errors',
      metric: 'Invocation5XXErrors',
      value: 1,
      threshold: 0,
      invocations: 1,
    };
    const { stages, hooks: h } = hooks(() => (failing ? trip : undefined));
    const rollout = new Rollout('green', canary(), 1, h);
    const running = rollout.run();
    await until(() => stages.includes('Baking@0.5'));
    rollout.checkAlarms();
    expect(rollout.share).toBe(0.5);

    // Act
    failing = true;
    rollout.checkAlarms();
    const outcome = await running;

    // Assess
    expect(rollout.share).toBe(0);
    expect(outcome).toMatchObject({
      kind: 'rolledBack',
      reason: expect.stringMatching(/alarm errors/),
    });
    expect(stages).not.toContain('ActivatingTraffic@1');
  });

  it('ignores the alarms when none are configured, and stops undecided when interrupted', async () => {
    // Prepare
    const { stages, hooks: h } = hooks(() => {
      throw new Error('alarms must not be evaluated');
    });
    const rollout = new Rollout('green', canary([]), 1, h);
    const running = rollout.run();
    await until(() => stages.includes('Baking@0.5'));
    rollout.checkAlarms();

    // Act
    rollout.interrupt();

    // Assess
    expect(await running).toEqual({ kind: 'interrupted' });
  });

  it('rolls back when the steps outlast MaximumExecutionTimeoutInSeconds', async () => {
    // Prepare: four bakes of 600 s against a 900 s timeout
    const plan = planDeployment(
      {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
            WaitIntervalInSeconds: 600,
          },
          MaximumExecutionTimeoutInSeconds: 900,
        },
      },
      4,
    );
    const { stages, hooks: h } = hooks();

    // Act
    const outcome = await new Rollout('green', plan, 0.0002, h).run();

    // Assess
    expect(outcome).toEqual({
      kind: 'rolledBack',
      reason: 'deployment exceeded MaximumExecutionTimeoutInSeconds',
    });
    expect(stages).toEqual([
      'ActivatingTraffic@0.25',
      'Baking@0.25',
      'ActivatingTraffic@0.5',
      'Baking@0.5',
    ]);
  });
});
