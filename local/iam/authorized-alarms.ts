// IAM for the state machine's CloudWatch DescribeAlarms (the engine canary's alarm): each alarm
// the request names is authorised as the state machine's role on the template's alarm ARN first.
import type { AlarmStates } from '../retrain-runner.js';
import { AccessDeniedException, templateNames } from './authorized-sagemaker.js';
import type { LocalIam } from './local-iam.js';

export const authorizedAlarms = (
  inner: AlarmStates,
  iam: LocalIam,
  localSubstitutions: Record<string, string>,
): AlarmStates => {
  const name = templateNames(iam, localSubstitutions);
  const { accountId, region, partition } = iam.deployment;
  const accessKeyId = iam.credentialsOf('retrain-state-machine').accessKeyId;
  return {
    describeAlarms: async (request) => {
      for (const alarm of (request.AlarmNames as string[] | undefined) ?? []) {
        const decision = await iam.authorize({
          accessKeyId,
          action: 'cloudwatch:DescribeAlarms',
          resource: `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${name(alarm)}`,
        });
        if (!decision.allowed) throw new AccessDeniedException(decision.message);
      }
      return inner.describeAlarms(request);
    },
  };
};
