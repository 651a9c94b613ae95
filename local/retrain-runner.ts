// Runs the retrain state machine — the very definition serverless.yml deploys — on the local
// stand-ins: aws-local-stepfunctions executes every state, Retry and Catch; each Task state is
// routed to the local twin of the service its Resource names.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { checkedTask } from './api-models/tasks.js';
import { createPayloadGuard, settleWithinQuota } from './payload-limit.js';

export const RETRAIN_DEFINITION_PATH = fileURLToPath(
  new URL('../state-machines/retrain.asl.json', import.meta.url),
);

type Json = Parameters<NonNullable<NonNullable<Overrides>['taskResourceLocalHandlers']>[string]>[0];
type Overrides = {
  taskResourceLocalHandlers?: Record<string, (input: never) => unknown>;
  waitTimeOverrides?: Record<string, number>;
  retryIntervalOverrides?: Record<string, number>;
};

/** The SageMaker control-plane calls the state machine makes (request/response shapes as the API). */
export interface SageMakerControlPlane {
  createTrainingJob(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  createModel(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  createEndpointConfig(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  createEndpoint(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  updateEndpoint(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  describeEndpoint(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  deleteEndpoint(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  updateEndpointWeightsAndCapacities(
    request: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
}

/** The serving pointer's S3 calls the state machine makes itself (models/serving.json and its backup). */
export interface PointerObjects {
  copyObject(request: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Step Functions' DescribeExecution on this machine's executions (a leftover canary's run). */
export interface ExecutionStates {
  describeExecution(request: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** The local executions' ARNs: this prefix and the execution's name (the run id). */
export const LOCAL_EXECUTION_ARN_PREFIX =
  'arn:aws:states:local:000000000000:execution:smogcast-retrain:';

/** CloudWatch's DescribeAlarms (the engine canary's alarm). */
export interface AlarmStates {
  describeAlarms(request: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface RetrainServices {
  /** The Glue job's local twin: `--run_id` in, job-run summary out. */
  runEtl(args: { runId: string }): Promise<unknown>;
  /** Lambda functions by the substitution key that names them, e.g. PrepareDeepArFunctionArn. */
  lambdas: Record<string, (payload: unknown) => Promise<unknown>>;
  sagemaker: SageMakerControlPlane;
  /** SNS Publish's local twin (the runtime's event log). */
  notify(message: { TopicArn: string; Subject?: string; Message: string }): Promise<void>;
  /** S3 CopyObject as the state machine's role (the engine canary's pointer and its backup). */
  s3?: PointerObjects;
  /** CloudWatch DescribeAlarms as the state machine's role (the engine canary's alarm). */
  cloudwatch?: AlarmStates;
  /** Step Functions DescribeExecution as the state machine's role (a leftover canary's run). */
  stepFunctions?: ExecutionStates;
}

export interface RetrainRunOptions {
  executionName: string;
  substitutions: Record<string, string>;
  services: RetrainServices;
  /** Milliseconds the endpoint wait loops (deploy, restore) pause locally instead of the definition's Seconds. */
  endpointPollMs?: number;
  /**
   * Milliseconds between an engine canary's bake polls locally instead of the definition's 60 s
   * (default: endpointPollMs). The loop is bounded in polls (1440), and the bake runs on the
   * service's clock: polls × this must outlast the bake where that clock is real.
   */
  canaryPollMs?: number;
  /** Milliseconds between Retry attempts locally instead of the definition's intervals. */
  retryIntervalMs?: number;
  onStateEvent?: (event: { type: string; state?: string; error?: string }) => void;
  /** The clock the execution (its StartTime) and the Glue job run are stamped with. */
  now?: () => number;
}

export class UnresolvedSubstitutionError extends Error {
  constructor(names: string[]) {
    super(`state machine placeholders without a value: ${names.join(', ')}`);
    this.name = 'UnresolvedSubstitutionError';
  }
}

/** CloudFormation DefinitionSubstitutions, done the same way: `${Key}` replaced in the text. */
export const substitute = (definition: string, values: Record<string, string>): string => {
  const missing = new Set<string>();
  const text = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) {
      missing.add(key);
      return '';
    }
    return JSON.stringify(value).slice(1, -1);
  });
  if (missing.size > 0) throw new UnresolvedSubstitutionError([...missing]);
  return text;
};

export const loadRetrainDefinition = async (
  substitutions: Record<string, string>,
): Promise<Record<string, unknown>> =>
  JSON.parse(substitute(await readFile(RETRAIN_DEFINITION_PATH, 'utf8'), substitutions));

const START_TIME_PATH = '$$.Execution.StartTime';

export class UnsupportedContextPathError extends Error {
  constructor(field: string, value: string) {
    super(`${field}: "${value}" reads ${START_TIME_PATH} in a way the local twin cannot resolve`);
    this.name = 'UnsupportedContextPathError';
  }
}

/**
 * Resolves `"<field>.$": "$$.Execution.StartTime"` to `"<field>": startTime` everywhere in a
 * definition. aws-local-stepfunctions stamps the context object's StartTime from the system clock
 * whatever context it is handed, so the runtime's clock reaches the run (its startedAt, and so its
 * model's version) this way; any other use of the path (inside an intrinsic function) is refused.
 */
export const resolveStartTime = (node: unknown, startTime: string): unknown => {
  if (Array.isArray(node)) return node.map((item) => resolveStartTime(item, startTime));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (!key.endsWith('.$') || typeof value !== 'string' || !value.includes(START_TIME_PATH)) {
        return [key, resolveStartTime(value, startTime)];
      }
      if (value !== START_TIME_PATH) throw new UnsupportedContextPathError(key, value);
      return [key.slice(0, -2), startTime];
    }),
  );
};

/** Errors from SDK-integrated tasks reach Retry/Catch as `<Service>.<ErrorName>`. */
const asServiceError = (service: string, error: unknown): Error => {
  if (!(error instanceof Error)) return new Error(String(error));
  if (!error.name.includes('.') && !error.name.endsWith('Error')) {
    error.name = `${service}.${error.name}`;
  }
  return error;
};

/** An aws-sdk integration's call, its errors named `<Service>.<ErrorName>` as Step Functions does. */
const serviceCall = async (
  service: string,
  call: (request: Record<string, unknown>) => Promise<unknown>,
  request: Record<string, unknown>,
): Promise<unknown> => {
  try {
    return await call(request);
  } catch (error) {
    throw asServiceError(service, error);
  }
};

const sageMakerTask =
  (call: (request: Record<string, unknown>) => Promise<Record<string, unknown>>) =>
  async (input: Record<string, unknown>) => {
    try {
      return await call(input);
    } catch (error) {
      throw asServiceError('SageMaker', error);
    }
  };

/** `lambda:invoke` returns the function's result under Payload; a function error keeps its name. */
const lambdaTask =
  (fn: (payload: unknown) => Promise<unknown>) =>
  async (input: { FunctionName: string; Payload: unknown }) => ({
    ExecutedVersion: '$LATEST',
    StatusCode: 200,
    Payload: await fn(input.Payload),
  });

type TaskHandler = (input: never) => Promise<unknown>;

/** The local twin of each service integration a Task state's Resource names. */
const taskHandlerFor = (
  resource: string,
  services: RetrainServices,
  lambdaByArn: Map<string, string>,
  executionName: string,
  now: () => number,
): TaskHandler | undefined => {
  const sm = services.sagemaker;
  const sageMakerCalls: Record<
    string,
    (r: Record<string, unknown>) => Promise<Record<string, unknown>>
  > = {
    'arn:aws:states:::sagemaker:createTrainingJob.sync': (r) => sm.createTrainingJob(r),
    'arn:aws:states:::sagemaker:createModel': (r) => sm.createModel(r),
    'arn:aws:states:::sagemaker:createEndpointConfig': (r) => sm.createEndpointConfig(r),
    'arn:aws:states:::sagemaker:createEndpoint': (r) => sm.createEndpoint(r),
    'arn:aws:states:::sagemaker:updateEndpoint': (r) => sm.updateEndpoint(r),
    'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint': (r) => sm.describeEndpoint(r),
    'arn:aws:states:::aws-sdk:sagemaker:deleteEndpoint': (r) => sm.deleteEndpoint(r),
    'arn:aws:states:::aws-sdk:sagemaker:updateEndpointWeightsAndCapacities': (r) =>
      sm.updateEndpointWeightsAndCapacities(r),
  };
  const call = sageMakerCalls[resource];
  if (call) return sageMakerTask(call) as TaskHandler;
  const s3 = services.s3;
  const s3Calls: Record<string, ((r: Record<string, unknown>) => Promise<unknown>) | undefined> = {
    'arn:aws:states:::aws-sdk:s3:copyObject': s3 && ((r) => s3.copyObject(r)),
  };
  const s3Call = s3Calls[resource];
  if (s3Call)
    return (async (r: Record<string, unknown>) => serviceCall('S3', s3Call, r)) as TaskHandler;
  const alarms = services.cloudwatch;
  if (resource === 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms' && alarms) {
    return (async (r: Record<string, unknown>) =>
      serviceCall('CloudWatch', (x) => alarms.describeAlarms(x), r)) as TaskHandler;
  }
  const executions = services.stepFunctions;
  if (resource === 'arn:aws:states:::aws-sdk:sfn:describeExecution' && executions) {
    return (async (r: Record<string, unknown>) =>
      serviceCall('Sfn', (x) => executions.describeExecution(x), r)) as TaskHandler;
  }
  if (resource === 'arn:aws:states:::lambda:invoke') {
    return (async (input: { FunctionName: string; Payload: unknown }) => {
      const key = lambdaByArn.get(input.FunctionName);
      const fn = key ? services.lambdas[key] : undefined;
      if (!fn) throw new UnresolvedSubstitutionError([`lambda ${input.FunctionName}`]);
      return lambdaTask(fn)(input);
    }) as TaskHandler;
  }
  if (resource === 'arn:aws:states:::glue:startJobRun.sync') {
    return (async (input: { JobName: string; Arguments: Record<string, string> }) => {
      const runId = input.Arguments['--run_id'] ?? executionName;
      const startedOn = new Date(now()).toISOString();
      const summary = await services.runEtl({ runId });
      return {
        Id: `jr_${runId}`,
        JobName: input.JobName,
        JobRunState: 'SUCCEEDED',
        StartedOn: startedOn,
        CompletedOn: new Date(now()).toISOString(),
        Arguments: input.Arguments,
        Summary: summary,
      };
    }) as TaskHandler;
  }
  if (resource === 'arn:aws:states:::sns:publish') {
    return (async (input: { TopicArn: string; Subject?: string; Message: string }) => {
      await services.notify(input);
      return { MessageId: `local-${now()}` };
    }) as TaskHandler;
  }
  return undefined;
};

export class UnsupportedResourceError extends Error {
  constructor(state: string, resource: string) {
    super(`state ${state}: no local twin for ${resource}`);
    this.name = 'UnsupportedResourceError';
  }
}

type StatesOf = Record<
  string,
  { Type: string; Resource?: string; Branches?: Array<{ States: StatesOf }> }
>;

/** Every state of a definition, those inside Parallel branches too (names are unique machine-wide). */
const taskStates = (states: StatesOf): Array<[string, { Type: string; Resource?: string }]> =>
  Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, { Type: string; Resource?: string }],
    ...(state.Branches ?? []).flatMap((branch) => taskStates(branch.States)),
  ]);

export const runRetrain = async (options: RetrainRunOptions): Promise<Record<string, unknown>> => {
  const { StateMachine } = await import('aws-local-stepfunctions');
  const { services, substitutions } = options;
  const now = options.now ?? Date.now;
  const startTime = new Date(now()).toISOString();
  const definition = resolveStartTime(
    await loadRetrainDefinition(substitutions),
    startTime,
  ) as Record<string, unknown>;
  const lambdaByArn = new Map(
    Object.keys(services.lambdas).map((key) => [substitutions[key] ?? key, key] as const),
  );
  const handlers: Record<string, TaskHandler> = {};
  // Step Functions' 256 KiB payload quota: every task's input and raw result, every state's.
  const payloads = createPayloadGuard();
  for (const [name, state] of taskStates(definition.States as StatesOf)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    const handler = taskHandlerFor(
      state.Resource,
      services,
      lambdaByArn,
      options.executionName,
      now,
    );
    if (!handler) throw new UnsupportedResourceError(name, state.Resource);
    // Parameters meet the service's API model before the local twin sees them, as on AWS.
    handlers[name] = payloads.task(name, checkedTask(name, state.Resource, handler));
  }
  const overrides: Overrides = {
    taskResourceLocalHandlers: handlers,
    waitTimeOverrides: {
      WaitForEndpoint: options.endpointPollMs ?? 500,
      WaitBeforeRestore: options.endpointPollMs ?? 500,
      WaitForDeletion: options.endpointPollMs ?? 500,
      WaitForReplacedDeletion: options.endpointPollMs ?? 500,
      BakeEngineCanary: options.canaryPollMs ?? options.endpointPollMs ?? 500,
    },
    retryIntervalOverrides:
      options.retryIntervalMs === undefined
        ? {}
        : Object.fromEntries(
            Object.keys(handlers).map((n) => [n, options.retryIntervalMs as number]),
          ),
  };
  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = machine.run({} as Json, {
    overrides: overrides as never,
    context: {
      Execution: {
        Id: `${LOCAL_EXECUTION_ARN_PREFIX}${options.executionName}`,
        Name: options.executionName,
        StartTime: startTime,
        Input: {},
        RoleArn: 'arn:aws:iam::000000000000:role/local',
      },
    } as never,
  });
  const notify = options.onStateEvent;
  const result = await settleWithinQuota(
    payloads,
    execution,
    notify &&
      ((event) => {
        const e = event as {
          type: string;
          state?: { name?: string };
          Error?: string;
          error?: string;
        };
        notify({ type: e.type, state: e.state?.name, error: e.Error ?? e.error });
      }),
  );
  return result as Record<string, unknown>;
};
