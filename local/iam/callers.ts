// The one table of who calls AWS in the local runtime, and as which template resource: each
// caller runs with the role that resource names in the template (a function's Role, the state
// machine's RoleArn, the role the training jobs and endpoints get, …). No role name is written
// here: it is read from the template, so a role change in serverless.yml is what the twin runs.
import type { CfnTemplate } from './template.js';
import { lambdaLogicalId } from './template.js';

/** Where in a resource's Properties its role is named. */
type RoleAt = readonly string[];

interface CallerSource {
  resource: string;
  roleAt: RoleAt;
}

const lambda = (name: string): CallerSource => ({
  resource: lambdaLogicalId(name),
  roleAt: ['Role'],
});

export const LOCAL_CALLERS = {
  'prepare-deepar': lambda('prepare-deepar'),
  'check-drift': lambda('check-drift'),
  'score-ab': lambda('score-ab'),
  evaluate: lambda('evaluate'),
  'record-run': lambda('record-run'),
  'train-engine': lambda('train-engine'),
  'check-canary': lambda('check-canary'),
  'update-context': lambda('update-context'),
  forecast: lambda('forecast'),
  devices: lambda('devices'),
  status: lambda('status'),
  accuracy: lambda('accuracy'),
  runs: lambda('runs'),
  models: lambda('models'),
  /** The retrain state machine's own calls (SageMaker control plane, SNS, Glue, Lambda). */
  'retrain-state-machine': { resource: 'RetrainStateMachine', roleAt: ['RoleArn'] },
  /** Training jobs and endpoints: the execution role the state machine passes to SageMaker. */
  sagemaker: {
    resource: 'RetrainStateMachine',
    roleAt: ['DefinitionSubstitutions', 'SageMakerRoleArn'],
  },
  /** The Glue ETL job (glue/twin runs it locally). */
  'glue-etl': { resource: 'EtlJob', roleAt: ['Role'] },
  /** Firehose delivering raw/ batches (and the topic rule's errors/iot/ records). */
  firehose: {
    resource: 'RawDeliveryStream',
    roleAt: ['ExtendedS3DestinationConfiguration', 'RoleARN'],
  },
} as const satisfies Record<string, CallerSource>;

export type LocalCaller = keyof typeof LOCAL_CALLERS;

/** The logical id of the role `caller` runs as, read from the template. */
export const roleOf = (template: CfnTemplate, caller: LocalCaller): string => {
  const { resource, roleAt } = LOCAL_CALLERS[caller];
  let node: unknown = template.Resources[resource]?.Properties;
  for (const part of roleAt) node = (node as Record<string, unknown> | undefined)?.[part];
  const getAtt = (node as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  const [roleId, attribute] = (
    Array.isArray(getAtt) ? getAtt : String(getAtt ?? '').split('.')
  ) as string[];
  if (!roleId || attribute !== 'Arn' || template.Resources[roleId]?.Type !== 'AWS::IAM::Role') {
    throw new Error(
      `${caller}: ${resource}.${roleAt.join('.')} does not name a role of the template (${JSON.stringify(node)})`,
    );
  }
  return roleId;
};
