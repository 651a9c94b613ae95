// SageMaker's DeploymentConfig for UpdateEndpoint (blue/green deployment guardrails) and the pure
// plan it implies: how much of the new (green) fleet takes traffic at each step. Shapes and
// limits follow the API reference (DeploymentConfig, BlueGreenUpdatePolicy, TrafficRoutingConfig,
// CapacitySize, AutoRollbackConfig); anything SageMaker would refuse is a ValidationException.
import { z } from 'zod';
import { ValidationException } from '../errors.js';

const CapacitySize = z.object({
  Type: z.enum(['INSTANCE_COUNT', 'CAPACITY_PERCENT']),
  Value: z.number().int().min(1),
});
export type CapacitySize = z.infer<typeof CapacitySize>;

export const TrafficRoutingConfig = z.object({
  Type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']),
  WaitIntervalInSeconds: z.number().int().min(0).max(3600),
  CanarySize: CapacitySize.optional(),
  LinearStepSize: CapacitySize.optional(),
});
export type TrafficRoutingConfig = z.infer<typeof TrafficRoutingConfig>;

export const DeploymentConfig = z.object({
  BlueGreenUpdatePolicy: z
    .object({
      TrafficRoutingConfiguration: TrafficRoutingConfig,
      TerminationWaitInSeconds: z.number().int().min(0).max(3600).optional(),
      MaximumExecutionTimeoutInSeconds: z.number().int().min(600).max(28800).optional(),
    })
    .optional(),
  // Accepted so the request shape matches SageMaker's; refused below (not emulated locally).
  RollingUpdatePolicy: z.record(z.string(), z.unknown()).optional(),
  AutoRollbackConfiguration: z
    .object({
      Alarms: z
        .array(z.object({ AlarmName: z.string().min(1).max(255) }))
        .min(1)
        .max(10)
        .optional(),
    })
    .optional(),
});
export type DeploymentConfig = z.infer<typeof DeploymentConfig>;

/** One traffic shift: after it, `activeInstances` of `totalInstances` green instances serve. */
export interface TrafficStep {
  activeInstances: number;
  totalInstances: number;
  /** The share of endpoint traffic the green fleet receives, (0, 1]. */
  share: number;
}

/** Everything the deployment runner needs, with defaults applied. */
export interface DeploymentPlan {
  type: TrafficRoutingConfig['Type'];
  steps: TrafficStep[];
  /** The baking period after each step, in SageMaker seconds. */
  waitIntervalSeconds: number;
  terminationWaitSeconds: number;
  maximumExecutionTimeoutSeconds?: number;
  alarmNames: string[];
}

/** Instances a CapacitySize turns on, out of the green fleet's total. */
const instancesOf = (size: CapacitySize, total: number): number =>
  size.Type === 'INSTANCE_COUNT' ? size.Value : Math.max(1, Math.floor((total * size.Value) / 100));

const fractionOf = (size: CapacitySize, total: number): number =>
  size.Type === 'INSTANCE_COUNT' ? size.Value / total : size.Value / 100;

const step = (active: number, total: number): TrafficStep => ({
  activeInstances: Math.min(active, total),
  totalInstances: total,
  share: Math.min(active, total) / total,
});

/**
 * The traffic steps of a blue/green update onto a fleet of `totalInstances` instances. Without a
 * BlueGreenUpdatePolicy SageMaker shifts all at once, with no baking period.
 */
export const planDeployment = (
  config: DeploymentConfig | undefined,
  totalInstances: number,
): DeploymentPlan => {
  const plan = planSteps(config, totalInstances);
  const timeout = plan.maximumExecutionTimeoutSeconds;
  // The API reference's rule: larger than TerminationWaitInSeconds plus WaitIntervalInSeconds.
  // A plan whose steps together bake longer still starts, and rolls back at the deadline.
  const waiting = plan.waitIntervalSeconds + plan.terminationWaitSeconds;
  if (timeout !== undefined && timeout <= waiting) {
    throw new ValidationException(
      `MaximumExecutionTimeoutInSeconds (${timeout}) must be larger than WaitIntervalInSeconds plus TerminationWaitInSeconds (${waiting}).`,
    );
  }
  return plan;
};

const planSteps = (
  config: DeploymentConfig | undefined,
  totalInstances: number,
): DeploymentPlan => {
  if (config?.RollingUpdatePolicy) {
    throw new ValidationException(
      'RollingUpdatePolicy is not supported by the local SageMaker; use BlueGreenUpdatePolicy.',
    );
  }
  const alarmNames = (config?.AutoRollbackConfiguration?.Alarms ?? []).map((a) => a.AlarmName);
  const policy = config?.BlueGreenUpdatePolicy;
  const routing = policy?.TrafficRoutingConfiguration ?? {
    Type: 'ALL_AT_ONCE' as const,
    WaitIntervalInSeconds: 0,
  };
  const base = {
    type: routing.Type,
    waitIntervalSeconds: routing.WaitIntervalInSeconds,
    terminationWaitSeconds: policy?.TerminationWaitInSeconds ?? 0,
    maximumExecutionTimeoutSeconds: policy?.MaximumExecutionTimeoutInSeconds,
    alarmNames,
  };
  if (routing.Type !== 'CANARY' && routing.CanarySize) {
    throw new ValidationException(
      'CanarySize is only valid with TrafficRoutingConfig Type CANARY.',
    );
  }
  if (routing.Type !== 'LINEAR' && routing.LinearStepSize) {
    throw new ValidationException(
      'LinearStepSize is only valid with TrafficRoutingConfig Type LINEAR.',
    );
  }
  if (routing.Type === 'ALL_AT_ONCE') {
    return { ...base, steps: [step(totalInstances, totalInstances)] };
  }
  if (routing.Type === 'CANARY') {
    const size = routing.CanarySize;
    if (!size) throw new ValidationException('CanarySize is required for a CANARY deployment.');
    if (fractionOf(size, totalInstances) > 0.5) {
      throw new ValidationException(
        `CanarySize must be at most 50% of the new fleet's ${totalInstances} instance(s) (got ${size.Type} ${size.Value}).`,
      );
    }
    const canary = instancesOf(size, totalInstances);
    if (canary >= totalInstances) {
      throw new ValidationException(
        `A CANARY deployment needs a new fleet larger than its canary: ${size.Type} ${size.Value} turns on ${canary} of ${totalInstances} instance(s); use at least 2 instances.`,
      );
    }
    return { ...base, steps: [step(canary, totalInstances), step(totalInstances, totalInstances)] };
  }
  const size = routing.LinearStepSize;
  if (!size) throw new ValidationException('LinearStepSize is required for a LINEAR deployment.');
  const fraction = fractionOf(size, totalInstances);
  if (fraction < 0.1 || fraction > 0.5) {
    throw new ValidationException(
      `LinearStepSize must be 10-50% of the new fleet's ${totalInstances} instance(s) (got ${size.Type} ${size.Value}).`,
    );
  }
  const increment = instancesOf(size, totalInstances);
  if (increment >= totalInstances) {
    throw new ValidationException(
      `A LINEAR deployment needs more than one step: ${size.Type} ${size.Value} turns on ${increment} of ${totalInstances} instance(s); use at least 2 instances.`,
    );
  }
  const steps: TrafficStep[] = [];
  for (let active = increment; ; active += increment) {
    steps.push(step(active, totalInstances));
    if (active >= totalInstances) break;
  }
  return { ...base, steps };
};

/**
 * Deployment guardrails (an UpdateEndpoint with DeploymentConfig, blue/green or rolling) require
 * the new endpoint config to keep the variant names of the one serving ("Exclusions" in the
 * SageMaker developer guide); only a plain UpdateEndpoint may change them.
 */
export const requireSameVariantNames = (
  serving: { arn: string; variants: readonly string[] },
  next: { arn: string; variants: readonly string[] },
): void => {
  const current = [...serving.variants].sort();
  const wanted = [...next.variants].sort();
  if (current.length === wanted.length && current.every((name, i) => name === wanted[i])) return;
  throw new ValidationException(
    `A deployment with DeploymentConfig requires the new endpoint configuration to have the same variant names as the current one: "${serving.arn}" serves [${current.join(', ')}], "${next.arn}" has [${wanted.join(', ')}]. Update without DeploymentConfig to change variant names.`,
  );
};

/** A SageMaker duration in local milliseconds: `timeScale` shrinks minutes into seconds. */
export const scaledMs = (seconds: number, timeScale: number): number =>
  Math.round(seconds * 1000 * timeScale);
