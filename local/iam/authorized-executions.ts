// IAM for the state machine's Step Functions DescribeExecution (a leftover canary's run): the
// execution is authorised as the state machine's role on its ARN as deployed first.
import type { ExecutionStates } from '../retrain-runner.js';
import { AccessDeniedException, templateNames } from './authorized-sagemaker.js';
import type { LocalIam } from './local-iam.js';

export const authorizedExecutions = (
  inner: ExecutionStates,
  iam: LocalIam,
  localSubstitutions: Record<string, string>,
): ExecutionStates => {
  const name = templateNames(iam, localSubstitutions);
  const localPrefix = localSubstitutions.RetrainExecutionArnPrefix ?? '';
  const deployedPrefix = name(localPrefix);
  const accessKeyId = iam.credentialsOf('retrain-state-machine').accessKeyId;
  return {
    describeExecution: async (request) => {
      const arn = String(request.ExecutionArn ?? '');
      const resource = arn.startsWith(localPrefix)
        ? `${deployedPrefix}${arn.slice(localPrefix.length)}`
        : arn;
      const decision = await iam.authorize({
        accessKeyId,
        action: 'states:DescribeExecution',
        resource,
      });
      if (!decision.allowed) throw new AccessDeniedException(decision.message);
      return inner.describeExecution(request);
    },
  };
};
