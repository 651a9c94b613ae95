// A Task state's Parameters, after substitution, checked against the API of the service its
// Resource calls, before the local twin of that service sees them: what AWS rejects, the local
// run rejects too, as `<Service>.ValidationException` for the state's Retry and Catch.
import { apiModel, UnknownApiModelError } from './model.js';
import { requestViolations, type Violation, validationMessage } from './validate.js';

export interface TaskOperation {
  /** The model's prefix, e.g. `sagemaker`. */
  service: string;
  /** The API operation, e.g. `CreateTrainingJob`. */
  operation: string;
}

/** Step Functions' service name → the SDK's model prefix, where they differ. */
const SDK_PREFIX: Record<string, string> = { cloudwatch: 'monitoring', sfn: 'states' };

/**
 * The API operation a Task's Resource calls: `arn:aws:states:::<service>:<action>[.sync|
 * .waitForTaskToken]` (optimized integrations) and `arn:aws:states:::aws-sdk:<service>:<action>`.
 */
export const taskOperation = (resource: string): TaskOperation => {
  const match =
    /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9.-]+):([A-Za-z0-9]+)(?:\.sync(?::2)?|\.waitForTaskToken)?$/.exec(
      resource,
    );
  if (!match) throw new UnknownApiModelError(`Task resource ${resource}`);
  const [, named, action] = match as unknown as [string, string, string];
  // Step Functions names a few services otherwise than the SDK's model files do.
  const service = SDK_PREFIX[named] ?? named;
  const operation = action.charAt(0).toUpperCase() + action.slice(1);
  if (!apiModel(service).operations[operation]) {
    throw new UnknownApiModelError(`Task resource ${resource} (no operation ${operation})`);
  }
  return { service, operation };
};

/** The error a Task fails with when its Parameters break the API's contract. */
export class TaskParametersError extends Error {
  constructor(
    serviceId: string,
    readonly state: string,
    readonly violations: Violation[],
    sources?: string,
  ) {
    super(`${state}: ${validationMessage(violations, sources)}`);
    this.name = `${serviceId.replace(/\s+/g, '')}.ValidationException`;
  }
}

/** Wraps a Task's local handler so its Parameters are checked against the API first. */
export const checkedTask = <I, O>(
  state: string,
  resource: string,
  handler: (input: I) => Promise<O>,
): ((input: I) => Promise<O>) => {
  const { service, operation } = taskOperation(resource);
  return async (input: I) => {
    const violations = requestViolations(service, operation, input);
    if (violations.length > 0) {
      const model = apiModel(service);
      throw new TaskParametersError(model.serviceId, state, violations, model.sources);
    }
    return handler(input);
  };
};
