// The rules CloudFormation and the services apply when a stack is created, checked offline on a
// packaged template (`npm run package`): every resource against the CloudFormation resource
// specification (AWS's own, as shipped in @aws-cdk/aws-service-spec), and the cross-field rules
// no schema states but the service enforces at create or update time.
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { PropertyType, SpecDatabase } from '@aws-cdk/service-spec-types';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** One broken rule: which rule, on which resource (and property path), and why. */
export interface Finding {
  rule:
    | 'spec'
    | 'crawler-policy'
    | 'canary-size'
    | 'variant-alarms'
    | 'queue-visibility'
    | 'queue-batch-window';
  resource: string;
  message: string;
}

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'Condition',
  'Metadata',
  'UpdatePolicy',
  'CreationPolicy',
]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ Ref }`, `{ Fn::… }`: resolved by CloudFormation at deploy time, so its type is unknown here. */
const isIntrinsic = (value: unknown): boolean => {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || String(keys[0]).startsWith('Fn::'));
};

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** Problems of one value against one property type of the specification ([] when it conforms). */
const checkValue = (db: SpecDatabase, value: unknown, type: PropertyType, at: string): string[] => {
  if (isIntrinsic(value)) return [];
  switch (type.type) {
    case 'json':
    case 'null':
      return [];
    case 'string':
    case 'date-time':
      return ['string', 'number', 'boolean'].includes(typeof value)
        ? []
        : [`${at}: expected a string, got ${JSON.stringify(value)}`];
    case 'number':
    case 'integer':
      return typeof value === 'number' || (typeof value === 'string' && NUMERIC.test(value))
        ? []
        : [`${at}: expected a ${type.type}, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? []
        : [`${at}: expected a boolean, got ${JSON.stringify(value)}`];
    case 'tag':
      return isObject(value) && 'Key' in value && 'Value' in value
        ? []
        : [`${at}: expected a tag {Key, Value}`];
    case 'array':
      return Array.isArray(value)
        ? value.flatMap((item, i) => checkValue(db, item, type.element, `${at}[${i}]`))
        : [`${at}: expected a list`];
    case 'map':
      return isObject(value)
        ? Object.entries(value).flatMap(([key, item]) =>
            checkValue(db, item, type.element, `${at}.${key}`),
          )
        : [`${at}: expected a map`];
    case 'union': {
      const attempts = type.types.map((member) => checkValue(db, value, member, at));
      return attempts.some((problems) => problems.length === 0) ? [] : (attempts[0] ?? []);
    }
    case 'ref': {
      if (!isObject(value)) return [`${at}: expected an object`];
      const definition = db.get('typeDefinition', type.reference);
      return checkProperties(db, value, definition.properties, at);
    }
    default:
      return [];
  }
};

const checkProperties = (
  db: SpecDatabase,
  values: Record<string, unknown>,
  spec: Record<string, { required?: boolean; type: PropertyType }>,
  at: string,
): string[] => {
  const problems: string[] = [];
  for (const [name, property] of Object.entries(spec)) {
    if (property.required && !(name in values)) problems.push(`${at}: ${name} is required`);
  }
  for (const [name, value] of Object.entries(values)) {
    const property = spec[name];
    if (!property) problems.push(`${at}: unknown property ${name}`);
    else problems.push(...checkValue(db, value, property.type, `${at}.${name}`));
  }
  return problems;
};

/**
 * Every resource against the CloudFormation resource specification: the type exists, required
 * properties are there, no property is unknown, and values have the specified shape, nested
 * definitions included (intrinsic functions are taken as conforming).
 */
export const checkAgainstSpecification = (db: SpecDatabase, template: CfnTemplate): Finding[] => {
  const findings: Finding[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    const report = (message: string) => findings.push({ rule: 'spec', resource: id, message });
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) report(`unknown resource attribute ${key}`);
    }
    if (resource.Type.startsWith('Custom::')) continue;
    const found = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    const spec = found[0];
    if (!spec) {
      report(`unknown resource type ${resource.Type}`);
      continue;
    }
    for (const problem of checkProperties(db, resource.Properties ?? {}, spec.properties, id)) {
      report(problem);
    }
  }
  return findings;
};

/**
 * Glue: "The SchemaChangePolicy for "Crawl new folders only" Amazon S3 target can have only LOG
 * DeleteBehavior value and LOG UpdateBehavior value" (Glue's defaults are not LOG either).
 */
export const checkCrawlerPolicies = (template: CfnTemplate): Finding[] =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Glue::Crawler')
    .flatMap(([id, resource]) => {
      const properties = resource.Properties ?? {};
      const recrawl = (properties.RecrawlPolicy as { RecrawlBehavior?: string } | undefined)
        ?.RecrawlBehavior;
      if (recrawl !== 'CRAWL_NEW_FOLDERS_ONLY') return [];
      const policy = (properties.SchemaChangePolicy ?? {}) as Record<string, unknown>;
      return (['UpdateBehavior', 'DeleteBehavior'] as const)
        .filter((key) => policy[key] !== 'LOG')
        .map((key) => ({
          rule: 'crawler-policy' as const,
          resource: id,
          message: `RecrawlBehavior CRAWL_NEW_FOLDERS_ONLY needs SchemaChangePolicy.${key} LOG, not ${String(policy[key] ?? 'the default')}`,
        }));
    });

type Json = unknown;
interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: Json[];
  Catch?: Array<{ Next: string }>;
  Parameters?: Json;
}
interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

/**
 * The state machines' definitions as CloudFormation creates them: DefinitionSubstitutions with a
 * literal value filled in; those resolved at deploy time (Ref, GetAtt) become `<deploy-time>`.
 */
export const stateMachineDefinitions = (
  template: CfnTemplate,
): Array<{ id: string; definition: AslDefinition }> =>
  Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .flatMap(([id, resource]) => {
      const text = resource.Properties?.DefinitionString;
      if (typeof text !== 'string') return [];
      const substitutions = (resource.Properties?.DefinitionSubstitutions ?? {}) as Record<
        string,
        unknown
      >;
      const filled = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
        const value = substitutions[name];
        if (value === undefined) return whole;
        return typeof value === 'object' ? '<deploy-time>' : String(value);
      });
      return [{ id, definition: JSON.parse(filled) as AslDefinition }];
    });

/** Every value under `key` anywhere in a JSON value. */
const valuesOf = (value: Json, key: string): Json[] => {
  if (Array.isArray(value)) return value.flatMap((item) => valuesOf(item, key));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === key ? [v] : []).concat(valuesOf(v, key)));
};

/** `$.a.b` in the run's settings: the first state's Parameters (a Pass state), or undefined. */
const settingAt = (settings: Json, path: string): Json => {
  if (!path.startsWith('$.')) return undefined;
  let at: Json = settings;
  for (const part of path.slice(2).split('.')) at = isObject(at) ? at[part] : undefined;
  return at;
};

/** A number a Parameters field resolves to, when it is a literal or read from the settings. */
const numberOf = (field: Record<string, unknown>, name: string, settings: Json): number | null => {
  if (typeof field[name] === 'number') return field[name] as number;
  const expression = field[`${name}.$`];
  if (typeof expression !== 'string') return null;
  const literal = /^States\.StringToJson\('([^']*)'\)$/.exec(expression);
  if (literal) return Number(literal[1]);
  const read = /^States\.StringToJson\((\$\.[A-Za-z0-9_.]+)\)$/.exec(expression);
  const direct = /^(\$\.[A-Za-z0-9_.]+)$/.exec(expression);
  const path = read?.[1] ?? direct?.[1];
  if (!path) return null;
  const value = settingAt(settings, path);
  return value === undefined || value === null || value === '' ? null : Number(value);
};

/** true/false when a choice rule is decided by the run's settings alone, else undefined. */
const decide = (rule: Json, settings: Json): boolean | undefined => {
  if (!isObject(rule)) return undefined;
  if (Array.isArray(rule.And)) {
    const parts = rule.And.map((r) => decide(r, settings));
    if (parts.includes(false)) return false;
    return parts.every((p) => p === true) ? true : undefined;
  }
  if (Array.isArray(rule.Or)) {
    const parts = rule.Or.map((r) => decide(r, settings));
    if (parts.includes(true)) return true;
    return parts.every((p) => p === false) ? false : undefined;
  }
  if (rule.Not) {
    const inner = decide(rule.Not, settings);
    return inner === undefined ? undefined : !inner;
  }
  if (typeof rule.Variable === 'string' && typeof rule.StringEquals === 'string') {
    const value = settingAt(settings, rule.Variable);
    return typeof value === 'string' ? value === rule.StringEquals : undefined;
  }
  return undefined;
};

/** The states a run can reach with the stage's settings (choices on settings pruned). */
const reachableStates = (definition: AslDefinition, settings: Json): Set<string> => {
  const seen = new Set<string>();
  const pending = [definition.StartAt];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = definition.States[name];
    if (!state) continue;
    const next: string[] = [];
    if (state.Next) next.push(state.Next);
    for (const c of state.Catch ?? []) next.push(c.Next);
    if (state.Type === 'Choice') {
      let decided = false;
      for (const rule of state.Choices ?? []) {
        const outcome = decide(rule, settings);
        if (outcome === false) continue;
        next.push(String((rule as { Next: string }).Next));
        if (outcome === true) {
          decided = true;
          break;
        }
      }
      if (!decided && state.Default) next.push(state.Default);
    }
    pending.push(...next);
  }
  return seen;
};

/**
 * SageMaker's blue/green sizes (DeploymentConfig.BlueGreenUpdatePolicy) in whole instances of
 * the new fleet: a canary of at least one instance and at most half the fleet; a linear step of
 * 10 to 50 % of it. A CAPACITY_PERCENT that is not a whole number of instances (25 % of 2) is a
 * size SageMaker cannot run as written. Checked on the update states the stage's strategy
 * reaches, against every instance count its endpoint configs ask for.
 */
export const checkCanarySize = (template: CfnTemplate): Finding[] => {
  const findings: Finding[] = [];
  for (const { id, definition } of stateMachineDefinitions(template)) {
    const first = definition.States[definition.StartAt];
    const settings = first?.Type === 'Pass' ? first.Parameters : undefined;
    const counts = new Set(
      valuesOf(definition, 'ProductionVariants')
        .flatMap((variants) => (Array.isArray(variants) ? variants : []))
        .map((variant) =>
          numberOf(variant as Record<string, unknown>, 'InitialInstanceCount', settings),
        )
        .filter((n): n is number => n !== null),
    );
    const reachable = reachableStates(definition, settings);
    for (const name of reachable) {
      const state = definition.States[name];
      for (const policy of valuesOf(state?.Parameters, 'BlueGreenUpdatePolicy')) {
        const routing = (policy as Record<string, unknown>).TrafficRoutingConfiguration;
        if (!isObject(routing)) continue;
        for (const [key, lowest, highest] of [
          ['CanarySize', 0, 50],
          ['LinearStepSize', 10, 50],
        ] as const) {
          const size = routing[key];
          if (!isObject(size)) continue;
          const value = numberOf(size, 'Value', settings);
          if (value === null) continue;
          for (const total of counts) {
            const instances = size.Type === 'INSTANCE_COUNT' ? value : (total * value) / 100;
            const share = (instances / total) * 100;
            const problem = !Number.isInteger(instances)
              ? `${instances} instances (${size.Type} ${value} of ${total}) is not a whole number`
              : instances < 1
                ? `${instances} instances is less than one`
                : share < lowest || share > highest
                  ? `${instances} of ${total} instances is ${share} %, outside ${lowest}-${highest} %`
                  : null;
            if (problem) {
              findings.push({
                rule: 'canary-size',
                resource: id,
                message: `${name}: ${key} ${problem}`,
              });
            }
          }
        }
      }
    }
  }
  return findings;
};

const ALARM_METRICS = ['Invocation5XXErrors', 'ModelLatency'];

/**
 * Every variant name the state machines give an endpoint (endpoint configs, weight updates) has
 * its error and latency alarms: an alarm on a variant name no config uses watches nothing, and a
 * variant without alarms can fail unseen (and cannot be rolled back on).
 */
export const checkVariantAlarms = (template: CfnTemplate): Finding[] => {
  const alarms = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => r.Properties ?? {})
    .filter((p) => p.Namespace === 'AWS/SageMaker');
  const findings: Finding[] = [];
  for (const { id, definition } of stateMachineDefinitions(template)) {
    const names = new Set(
      valuesOf(definition, 'VariantName').filter((v): v is string => typeof v === 'string'),
    );
    for (const variant of names) {
      for (const metric of ALARM_METRICS) {
        const watched = alarms.some(
          (alarm) =>
            alarm.MetricName === metric &&
            JSON.stringify(alarm.Dimensions ?? []).includes(
              JSON.stringify({ Name: 'VariantName', Value: variant }),
            ),
        );
        if (!watched) {
          findings.push({
            rule: 'variant-alarms',
            resource: id,
            message: `variant ${variant} has no ${metric} alarm`,
          });
        }
      }
    }
  }
  return findings;
};

const getAttTarget = (value: unknown): string | undefined => {
  const att = isObject(value) ? value['Fn::GetAtt'] : undefined;
  return Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined;
};

/**
 * Lambda's SQS event sources: the queue's visibility timeout (SQS's default 30 s) must be at
 * least the function's timeout (Lambda's default 3 s), and a batch above 10 messages needs a
 * batching window of at least one second — CreateEventSourceMapping refuses either otherwise.
 */
export const checkQueueEventSources = (template: CfnTemplate): Finding[] => {
  const findings: Finding[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const props = resource.Properties ?? {};
    const queueId = getAttTarget(props.EventSourceArn);
    const queue = queueId ? template.Resources[queueId] : undefined;
    if (queue?.Type !== 'AWS::SQS::Queue') continue;
    const functionId = getAttTarget(props.FunctionName);
    const fn = functionId ? template.Resources[functionId] : undefined;
    const visibility = Number(queue.Properties?.VisibilityTimeout ?? 30);
    const timeout = Number(fn?.Properties?.Timeout ?? 3);
    if (visibility < timeout) {
      findings.push({
        rule: 'queue-visibility',
        resource: id,
        message: `${queueId} VisibilityTimeout ${visibility} s is less than ${functionId}'s Timeout ${timeout} s`,
      });
    }
    const batch = Number(props.BatchSize ?? 10);
    const windowSeconds = Number(props.MaximumBatchingWindowInSeconds ?? 0);
    if (batch > 10 && windowSeconds < 1) {
      findings.push({
        rule: 'queue-batch-window',
        resource: id,
        message: `BatchSize ${batch} needs MaximumBatchingWindowInSeconds of at least 1 (is ${windowSeconds})`,
      });
    }
  }
  return findings;
};

/** The cross-field rules (no specification needed). */
export const checkCrossFieldRules = (template: CfnTemplate): Finding[] => [
  ...checkCrawlerPolicies(template),
  ...checkCanarySize(template),
  ...checkVariantAlarms(template),
  ...checkQueueEventSources(template),
];

/** Everything: the resource specification and the cross-field rules. */
export const checkTemplate = async (template: CfnTemplate): Promise<Finding[]> => [
  ...checkAgainstSpecification(await loadAwsServiceSpec(), template),
  ...checkCrossFieldRules(template),
];
