// IAM for the state machine's SageMaker calls: each control-plane request is authorised, before
// it reaches the local SageMaker, as the calls AWS makes for it — the state machine's role for
// the API itself (with what a .sync integration adds, per Step Functions' "IAM policies for
// Amazon SageMaker AI") and iam:PassRole, and the execution role for what SageMaker then does on
// its behalf (cloudwatch:DescribeAlarms on a blue/green update's rollback alarms). A denial
// throws AccessDeniedException with SageMaker's message, naming the role and the action.
import type { SageMakerControlPlane } from '../retrain-runner.js';
import type { LocalCaller } from './callers.js';
import type { LocalIam } from './local-iam.js';
import { evaluate } from './template.js';

export class AccessDeniedException extends Error {
  override readonly name = 'AccessDeniedException';
}

interface Call {
  caller: LocalCaller;
  action: string;
  resource: string;
  context?: Record<string, string>;
}

type Request = Record<string, unknown>;

/**
 * The twin's names (its definition substitutions: endpoint, alarms, execution role) translated
 * to the template's, so requests are authorised against the resources the policies name.
 */
export const templateNames = (
  iam: LocalIam,
  localSubstitutions: Record<string, string>,
): ((value: string) => string) => {
  const machine = iam.template.Resources.RetrainStateMachine;
  const deployed = evaluate(
    iam.template,
    machine?.Properties?.DefinitionSubstitutions ?? {},
    iam.deployment,
  ) as Record<string, unknown>;
  const table = new Map<string, string>();
  for (const key of [
    'EndpointName',
    'Variant5xxAlarmName',
    'VariantLatencyAlarmName',
    'CanaryErrorsAlarmName',
    'SageMakerRoleArn',
    'NotificationTopicArn',
    'RetrainExecutionArnPrefix',
  ]) {
    const local = localSubstitutions[key];
    const remote = deployed[key];
    if (local !== undefined && typeof remote === 'string') table.set(local, remote);
  }
  return (value) => table.get(value) ?? value;
};

export const authorizedControlPlane = (
  inner: SageMakerControlPlane,
  iam: LocalIam,
  localSubstitutions: Record<string, string>,
): SageMakerControlPlane => {
  const name = templateNames(iam, localSubstitutions);
  const { accountId, region, partition } = iam.deployment;
  const arn = (type: string, id: unknown) =>
    `arn:${partition}:sagemaker:${region}:${accountId}:${type}/${name(String(id)).toLowerCase()}`;
  const byMachine = (action: string, resource: string, context?: Record<string, string>): Call => ({
    caller: 'retrain-state-machine',
    action,
    resource,
    context,
  });
  const passRole = (roleArn: unknown): Call =>
    byMachine('iam:PassRole', name(String(roleArn)), {
      'iam:PassedToService': 'sagemaker.amazonaws.com',
    });
  const rollbackAlarms = (request: Request): Call[] => {
    const config = (request.DeploymentConfig ?? {}) as {
      AutoRollbackConfiguration?: { Alarms?: Array<{ AlarmName?: string }> };
    };
    return (config.AutoRollbackConfiguration?.Alarms ?? []).map((alarm) => ({
      caller: 'sagemaker',
      action: 'cloudwatch:DescribeAlarms',
      resource: `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${name(String(alarm.AlarmName))}`,
    }));
  };

  const authorize = async (calls: Call[]) => {
    for (const call of calls) {
      const decision = await iam.authorize({
        accessKeyId: iam.credentialsOf(call.caller).accessKeyId,
        action: call.action,
        resource: call.resource,
        context: call.context,
      });
      if (!decision.allowed) throw new AccessDeniedException(decision.message);
    }
  };
  const guarded =
    (calls: (request: Request) => Call[], call: (request: Request) => Promise<Request>) =>
    async (request: Request) => {
      await authorize(calls(request));
      return call(request);
    };

  return {
    // createTrainingJob.sync: create, then poll (Describe), stop on abort, read the job's tags,
    // and the managed EventBridge rule Step Functions waits through.
    createTrainingJob: guarded(
      (r) => {
        const job = arn('training-job', r.TrainingJobName);
        const rule = `arn:${partition}:events:${region}:${accountId}:rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule`;
        return [
          ...['CreateTrainingJob', 'DescribeTrainingJob', 'StopTrainingJob', 'ListTags'].map((a) =>
            byMachine(`sagemaker:${a}`, job),
          ),
          passRole(r.RoleArn),
          ...['PutTargets', 'PutRule', 'DescribeRule'].map((a) => byMachine(`events:${a}`, rule)),
        ];
      },
      (r) => inner.createTrainingJob(r),
    ),
    createModel: guarded(
      (r) => [
        byMachine('sagemaker:CreateModel', arn('model', r.ModelName)),
        passRole(r.ExecutionRoleArn),
      ],
      (r) => inner.createModel(r),
    ),
    createEndpointConfig: guarded(
      (r) => [
        byMachine('sagemaker:CreateEndpointConfig', arn('endpoint-config', r.EndpointConfigName)),
      ],
      (r) => inner.createEndpointConfig(r),
    ),
    createEndpoint: guarded(
      // CreateEndpoint and UpdateEndpoint authorise on the endpoint and on the config it gets.
      (r) => [
        byMachine('sagemaker:CreateEndpoint', arn('endpoint', r.EndpointName)),
        byMachine('sagemaker:CreateEndpoint', arn('endpoint-config', r.EndpointConfigName)),
      ],
      (r) => inner.createEndpoint(r),
    ),
    updateEndpoint: guarded(
      (r) => [
        byMachine('sagemaker:UpdateEndpoint', arn('endpoint', r.EndpointName)),
        byMachine('sagemaker:UpdateEndpoint', arn('endpoint-config', r.EndpointConfigName)),
        ...rollbackAlarms(r),
      ],
      (r) => inner.updateEndpoint(r),
    ),
    deleteEndpoint: guarded(
      (r) => [byMachine('sagemaker:DeleteEndpoint', arn('endpoint', r.EndpointName))],
      (r) => inner.deleteEndpoint(r),
    ),
    describeEndpoint: guarded(
      (r) => [byMachine('sagemaker:DescribeEndpoint', arn('endpoint', r.EndpointName))],
      (r) => inner.describeEndpoint(r),
    ),
    updateEndpointWeightsAndCapacities: guarded(
      (r) => [
        byMachine('sagemaker:UpdateEndpointWeightsAndCapacities', arn('endpoint', r.EndpointName)),
      ],
      (r) => inner.updateEndpointWeightsAndCapacities(r),
    ),
  };
};
