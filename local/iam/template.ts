// The stack's template as the twin reads it: serverless.yml with the framework's variables
// resolved (${self:…}, ${sls:stage}, ${param:…}, ${opt:…}) into the same CloudFormation shape
// `serverless package` writes (.serverless/cloudformation-template-update-stack.json), and a
// small evaluator for the intrinsics (Ref, Fn::GetAtt, Fn::Sub, Fn::FindInMap, Fn::Join) that
// the IAM policies use. Reading serverless.yml directly keeps `npm start` offline and instant
// (packaging bundles every function and takes minutes); test/integration/package.test.ts checks
// that every role's policies read this way equal the packaged template's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';

const SERVERLESS_YML = path.join(import.meta.dirname, '..', '..', 'serverless.yml');

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<string, CfnResource>;
}

/** Where a template is deployed: the pseudo parameters its !Sub and !Ref read. */
export interface Deployment {
  accountId: string;
  region: string;
  partition: string;
}

export const LOCAL_DEPLOYMENT: Deployment = {
  accountId: '000000000000',
  region: 'us-east-1',
  partition: 'aws',
};

const scalarTag = (tag: string, build: (value: string) => unknown) => ({
  tag,
  resolve: (value: string) => build(value),
});
const seqTag = (tag: string, name: string) => ({
  tag,
  collection: 'seq' as const,
  resolve: (seq: unknown) => ({ [name]: (seq as YAMLSeq).toJSON() }),
});
const mapTag = (tag: string, name: string) => ({
  tag,
  collection: 'map' as const,
  resolve: (map: unknown) => ({ [name]: (map as YAMLMap).toJSON() }),
});
// The short forms of the intrinsics serverless.yml uses, as their long forms.
const CFN_TAGS = [
  scalarTag('!Ref', (v) => ({ Ref: v })),
  scalarTag('!GetAtt', (v) => ({ 'Fn::GetAtt': v.split('.') })),
  seqTag('!GetAtt', 'Fn::GetAtt'),
  scalarTag('!Sub', (v) => ({ 'Fn::Sub': v })),
  seqTag('!Sub', 'Fn::Sub'),
  seqTag('!FindInMap', 'Fn::FindInMap'),
  seqTag('!Join', 'Fn::Join'),
  seqTag('!Select', 'Fn::Select'),
  mapTag('!Sub', 'Fn::Sub'),
];

const FRAMEWORK_VARIABLE = /\$\{((?:self|sls|opt|param|file)\b[^}]*)\}/g;

interface ServerlessYml {
  service: string;
  params: Record<string, Record<string, unknown>>;
  functions: Record<string, { role?: string }>;
  resources: { Mappings?: CfnTemplate['Mappings']; Resources: CfnTemplate['Resources'] };
}

/** The framework's logical id of a function (e.g. check-drift → CheckDashdriftLambdaFunction). */
export const lambdaLogicalId = (name: string): string => {
  const normalized = `${name.charAt(0).toUpperCase()}${name.slice(1)}`
    .replace(/-/g, 'Dash')
    .replace(/_/g, 'Underscore');
  return `${normalized}LambdaFunction`;
};

/**
 * serverless.yml resolved as the framework resolves it, for a stage, in the packaged
 * template's shape: its `resources`, the deployment bucket, and one AWS::Lambda::Function per
 * function (name and role, as the framework generates them). `${file(…)}` (the state machine's definition) is left out.
 */
export const templateFromServerlessYml = (
  yamlText: string,
  options: { stage?: string; region?: string } = {},
): CfnTemplate => {
  const stage = options.stage ?? 'dev';
  const region = options.region ?? LOCAL_DEPLOYMENT.region;
  const doc = parseDocument(yamlText, { customTags: CFN_TAGS, logLevel: 'silent' });
  if (doc.errors.length > 0) throw doc.errors[0];
  const raw = doc.toJS({ maxAliasCount: -1 }) as ServerlessYml;
  const params = { ...raw.params.default, ...raw.params[stage] };

  const lookup = (expression: string): unknown => {
    const [source = '', ...rest] = expression.split(':');
    const address = rest.join(':').split(',')[0]?.trim() ?? '';
    switch (source.trim()) {
      case 'sls':
        if (address === 'stage') return stage;
        break;
      case 'opt':
        if (address === 'stage') return stage;
        if (address === 'region') return region;
        break;
      case 'param':
        if (address in params) return params[address];
        break;
      case 'self': {
        let value: unknown = raw;
        for (const part of address.split('.')) value = (value as Record<string, unknown>)?.[part];
        if (value !== undefined) return resolve(value);
        break;
      }
      default:
        if (source.startsWith('file(')) return `<${expression}>`;
    }
    throw new Error(`serverless.yml: cannot resolve \${${expression}}`);
  };

  const resolve = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^\$\{((?:self|sls|opt|param|file)\b[^}]*)\}$/.exec(value);
      if (whole?.[1]) return lookup(whole[1]);
      return value.replace(FRAMEWORK_VARIABLE, (_m, expression: string) =>
        String(lookup(expression)),
      );
    }
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    }
    return value;
  };

  const resources = resolve(raw.resources.Resources) as CfnTemplate['Resources'];
  // The framework's own deployment bucket (it generates the name).
  resources.ServerlessDeploymentBucket ??= { Type: 'AWS::S3::Bucket' };
  for (const [name, fn] of Object.entries(raw.functions)) {
    resources[lambdaLogicalId(name)] = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: `${raw.service}-${stage}-${name}`,
        ...(fn.role ? { Role: { 'Fn::GetAtt': [fn.role, 'Arn'] } } : {}),
      },
    };
  }
  return { Mappings: raw.resources.Mappings, Resources: resources };
};

/** The repository's serverless.yml as a template (stage dev unless named). */
export const loadTemplate = (stage?: string): CfnTemplate =>
  templateFromServerlessYml(readFileSync(SERVERLESS_YML, 'utf8'), { stage });

/**
 * Evaluates the intrinsics in `value` for a deployment. Physical names follow the template's
 * own names (BucketName, FunctionName, AlarmName, …); a role's ARN uses its logical id as name.
 * `names` overrides a resource's physical name (the local lake bucket has its own name).
 */
export const evaluate = (
  template: CfnTemplate,
  value: unknown,
  deployment: Deployment = LOCAL_DEPLOYMENT,
  names: Record<string, string> = {},
): unknown => {
  const { accountId, region, partition } = deployment;
  const pseudo: Record<string, string> = {
    'AWS::AccountId': accountId,
    'AWS::Region': region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'smogcast',
  };
  const nameProperty: Record<string, string> = {
    'AWS::S3::Bucket': 'BucketName',
    'AWS::Lambda::Function': 'FunctionName',
    'AWS::CloudWatch::Alarm': 'AlarmName',
    'AWS::SNS::Topic': 'TopicName',
    'AWS::StepFunctions::StateMachine': 'StateMachineName',
    'AWS::Glue::Job': 'Name',
    'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
    'AWS::Logs::LogGroup': 'LogGroupName',
    'AWS::IoT::Policy': 'PolicyName',
  };
  const physicalName = (id: string): string => {
    if (names[id]) return names[id];
    const resource = template.Resources[id];
    const property = resource ? nameProperty[resource.Type] : undefined;
    const named = property ? resource?.Properties?.[property] : undefined;
    return named === undefined ? id : String(run(named));
  };
  const ref = (id: string): string => {
    if (id in pseudo) return pseudo[id] as string;
    const type = template.Resources[id]?.Type;
    if (type === 'AWS::SNS::Topic')
      return `arn:${partition}:sns:${region}:${accountId}:${physicalName(id)}`;
    if (type === 'AWS::StepFunctions::StateMachine')
      return `arn:${partition}:states:${region}:${accountId}:stateMachine:${physicalName(id)}`;
    return physicalName(id);
  };
  const getAtt = (id: string, attribute: string): string => {
    if (attribute !== 'Arn') return `${id}.${attribute}`;
    const type = template.Resources[id]?.Type;
    const name = physicalName(id);
    switch (type) {
      case 'AWS::S3::Bucket':
        return `arn:${partition}:s3:::${name}`;
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${accountId}:role/${id}`;
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${region}:${accountId}:function:${name}`;
      case 'AWS::CloudWatch::Alarm':
        return `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:${name}`;
      case 'AWS::KinesisFirehose::DeliveryStream':
        return `arn:${partition}:firehose:${region}:${accountId}:deliverystream/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${partition}:logs:${region}:${accountId}:log-group:${name}:*`;
      default:
        // Anything not modelled here: a name the policies can still be compared by.
        return `arn:${partition}:${type ?? 'unknown'}:::${name}`;
    }
  };
  const sub = (text: string, vars: Record<string, unknown>): string =>
    text.replace(/\$\{([^}]*)\}/g, (_m, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      if (inner in vars) return String(run(vars[inner]));
      const [id = '', attribute] = inner.split('.');
      return attribute ? getAtt(id, attribute) : ref(id);
    });
  const run = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(run);
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      if (key === 'Ref') return ref(String(arg));
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as string[];
        return getAtt(String(id), String(attribute));
      }
      if (key === 'Fn::Sub') {
        if (typeof arg === 'string') return sub(arg, {});
        const [text, vars] = arg as [string, Record<string, unknown>];
        return sub(text, vars);
      }
      if (key === 'Fn::FindInMap') {
        const [map, top, second] = (arg as unknown[]).map((a) => String(run(a)));
        return template.Mappings?.[map as string]?.[top as string]?.[second as string];
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return (run(parts) as unknown[]).join(separator);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, run(v)]));
  };
  return run(value);
};

export interface PolicyDocument {
  Version: string;
  Statement: Array<Record<string, unknown>>;
}

/** A role's inline policies, evaluated: name → document. */
export const rolePolicies = (
  template: CfnTemplate,
  roleId: string,
  deployment: Deployment = LOCAL_DEPLOYMENT,
  names: Record<string, string> = {},
): Array<{ name: string; policy: PolicyDocument }> => {
  const role = template.Resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`the template has no role ${roleId}`);
  const policies = (role.Properties?.Policies ?? []) as Array<{
    PolicyName: string;
    PolicyDocument: unknown;
  }>;
  return policies.map((p) => ({
    name: p.PolicyName,
    policy: evaluate(template, p.PolicyDocument, deployment, names) as PolicyDocument,
  }));
};

/** Logical ids of every IAM role in the template. */
export const roleIds = (template: CfnTemplate): string[] =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([id]) => id);
