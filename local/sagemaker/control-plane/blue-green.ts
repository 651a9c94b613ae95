// One blue/green endpoint update as SageMaker's deployment guardrails run it: the green fleet
// takes traffic step by step (ALL_AT_ONCE, CANARY, LINEAR); each step is followed by a baking
// period in which the auto-rollback alarms watch the green fleet's own metrics; an alarm in
// ALARM rolls ALL traffic back to blue at once. After the last bake, TerminationWait, then blue
// goes. The owner routes invocations by `share` and calls `checkAlarms` after each green call.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeTrip, type TrippedAlarm } from './alarms.js';
import type { VariantStatus } from './api-shapes.js';
import { type DeploymentPlan, scaledMs, type TrafficStep } from './deployment-config.js';

export type RolloutOutcome =
  | { kind: 'promoted' }
  | { kind: 'rolledBack'; reason: string }
  /** The process is closing: leave the persisted in-flight state for the next start. */
  | { kind: 'interrupted' };

export interface RolloutHooks {
  /** A stage began (persist it, log it). */
  onStage(stage: VariantStatus, step: TrafficStep | undefined, message: string): Promise<void>;
  /** The named alarm in ALARM on the green fleet's metrics, if any. */
  tripped(): TrippedAlarm | undefined;
  now(): Date;
}

export class Rollout {
  /** Share of invocations the green fleet receives now; 0 once rolled back. */
  share = 0;
  private monitoring = false;
  private outcome: RolloutOutcome | undefined;
  private readonly stop = new AbortController();
  private readonly deadline: number | undefined;

  constructor(
    readonly configName: string,
    private readonly plan: DeploymentPlan,
    private readonly timeScale: number,
    private readonly hooks: RolloutHooks,
  ) {
    const timeout = plan.maximumExecutionTimeoutSeconds;
    this.deadline =
      timeout === undefined ? undefined : hooks.now().getTime() + scaledMs(timeout, timeScale);
  }

  async run(): Promise<RolloutOutcome> {
    const { steps, waitIntervalSeconds, alarmNames } = this.plan;
    for (const [index, step] of steps.entries()) {
      if (this.outcome) return this.outcome;
      if (this.pastDeadline())
        return this.rollBack('deployment exceeded MaximumExecutionTimeoutInSeconds');
      this.share = step.share;
      const label = `step ${index + 1}/${steps.length}: ${Math.round(step.share * 100)}% of traffic (${step.activeInstances}/${step.totalInstances} instances) to the new fleet`;
      await this.stage('ActivatingTraffic', step, `${this.plan.type} ${label}`);
      this.monitoring = alarmNames.length > 0;
      await this.stage(
        'Baking',
        step,
        `baking ${waitIntervalSeconds}s after ${label}${this.monitoring ? `, watching ${alarmNames.join(', ')}` : ''}`,
      );
      if (!(await this.wait(waitIntervalSeconds))) return this.outcome ?? { kind: 'interrupted' };
      this.checkAlarms();
    }
    this.monitoring = false;
    if (this.outcome) return this.outcome;
    if (this.pastDeadline())
      return this.rollBack('deployment exceeded MaximumExecutionTimeoutInSeconds');
    await this.stage(
      'Deleting',
      steps.at(-1),
      `all traffic on the new fleet; terminating the old fleet after ${this.plan.terminationWaitSeconds}s`,
    );
    if (!(await this.wait(this.plan.terminationWaitSeconds))) {
      return this.outcome ?? { kind: 'interrupted' };
    }
    return { kind: 'promoted' };
  }

  /** Evaluates the alarms now (after each green invocation); rolls back on the first trip. */
  checkAlarms(): void {
    if (!this.monitoring || this.outcome) return;
    const trip = this.hooks.tripped();
    if (trip) this.rollBack(describeTrip(trip));
  }

  /** Sends all traffic back to blue at once and ends the rollout. */
  rollBack(reason: string): RolloutOutcome {
    if (!this.outcome) {
      this.share = 0;
      this.monitoring = false;
      this.outcome = { kind: 'rolledBack', reason };
      this.stop.abort();
    }
    return this.outcome;
  }

  /** Stops waiting without deciding: the process is going away. */
  interrupt(): void {
    if (this.outcome) return;
    this.outcome = { kind: 'interrupted' };
    this.stop.abort();
  }

  private pastDeadline(): boolean {
    return this.deadline !== undefined && this.hooks.now().getTime() > this.deadline;
  }

  private stage(
    status: VariantStatus['Status'],
    step: TrafficStep | undefined,
    message: string,
  ): Promise<void> {
    return this.hooks.onStage(
      { Status: status, StatusMessage: message, StartTime: this.hooks.now().toISOString() },
      step,
      message,
    );
  }

  /** Sleeps a SageMaker duration scaled to local time; false when stopped early. */
  private async wait(seconds: number): Promise<boolean> {
    if (this.stop.signal.aborted) return false;
    const ms = scaledMs(seconds, this.timeScale);
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.stop.signal });
      return true;
    } catch {
      return false;
    }
  }
}
