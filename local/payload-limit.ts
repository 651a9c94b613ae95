// Step Functions' payload quota, enforced in the local twin as AWS enforces it: a task's raw
// result (the service's response, before ResultSelector), a state's input (as entered, and a
// task's after InputPath/Parameters), a state's output, a Parallel branch's output and the
// execution's input and output may each be at most 262,144 bytes of UTF-8 JSON. Past it the
// execution fails with States.DataLimitExceeded, which no Retry or Catch (States.ALL included)
// handles: the guard aborts the whole execution instead of throwing into the state.

/** 256 KiB: the quota on every payload Step Functions passes between states. */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/** The size Step Functions measures: the payload's JSON text, in UTF-8 bytes. */
export const payloadBytes = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

export class DataLimitExceededError extends Error {
  constructor(
    readonly state: string,
    readonly what: string,
    readonly bytes: number,
  ) {
    super(
      `state ${state}: ${what} is ${bytes} bytes, over Step Functions' ${PAYLOAD_LIMIT_BYTES}-byte payload quota`,
    );
    // The error name Step Functions reports; the execution fails with it.
    this.name = 'States.DataLimitExceeded';
  }
}

/** The parts of aws-local-stepfunctions' event log the quota applies to. */
interface StateEvent {
  type: string;
  input?: unknown;
  output?: unknown;
  state?: { name?: string; input?: unknown; output?: unknown };
  parentState?: { name?: string };
}

type Task = (input: never) => Promise<unknown>;

export interface PayloadGuard {
  /** The first payload found over the quota, if any. */
  readonly violation: DataLimitExceededError | undefined;
  /** Called once the execution exists: how to stop it when a payload is over the quota. */
  bind(abort: () => void): void;
  /** Checks one payload; over the quota, records the violation and aborts the execution. */
  check(state: string, what: string, value: unknown): DataLimitExceededError | undefined;
  /** Checks a state event (entered: input; exited: output; branch or execution: input/output). */
  watch(event: StateEvent): void;
  /** A task handler whose effective input and raw result are checked, and which does nothing once the execution is over the quota. */
  task<T extends Task>(state: string, handler: T): T;
}

// Every pending event check runs in microtasks; a macrotask turn lets them all finish before a
// task starts its side effects.
const afterPendingChecks = () => new Promise<void>((resolve) => setImmediate(resolve));

export const createPayloadGuard = (limit = PAYLOAD_LIMIT_BYTES): PayloadGuard => {
  let violation: DataLimitExceededError | undefined;
  let abort: (() => void) | undefined;
  const check = (state: string, what: string, value: unknown) => {
    if (violation) return violation;
    const bytes = payloadBytes(value);
    if (bytes <= limit) return undefined;
    violation = new DataLimitExceededError(state, what, bytes);
    abort?.();
    return violation;
  };
  return {
    get violation() {
      return violation;
    },
    bind(fn) {
      abort = fn;
      if (violation) fn();
    },
    check,
    watch(event) {
      const name = event.state?.name ?? event.parentState?.name ?? 'execution';
      switch (event.type) {
        case 'StateEntered':
          check(name, 'the state input', event.state?.input);
          break;
        case 'StateExited':
          check(name, 'the state output', event.state?.output);
          break;
        case 'ParallelBranchSucceeded':
        case 'MapIterationSucceeded':
          check(name, 'a branch output', event.output);
          break;
        case 'ExecutionStarted':
          check(name, 'the execution input', event.input);
          break;
        case 'ExecutionSucceeded':
          check(name, 'the execution output', event.output);
          break;
      }
    },
    task<T extends Task>(state: string, handler: T): T {
      return (async (input: never) => {
        await afterPendingChecks();
        const before = violation ?? check(state, 'the task input', input);
        if (before) throw before;
        const result = await handler(input);
        const after = check(state, 'the task result', result);
        if (after) throw after;
        return result;
      }) as T;
    },
  };
};

/** What aws-local-stepfunctions' `StateMachine.run` returns. */
interface Execution {
  abort(): void;
  eventLogs: AsyncIterable<unknown>;
  result: Promise<unknown>;
}

interface RunOptions {
  overrides?: { taskResourceLocalHandlers?: Record<string, Task> } & Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Settles a started execution under the quota: checks each event (state input/output, branch
 * output, execution input/output) and rejects with DataLimitExceededError when a payload is over
 * it, whatever the definition's Retry and Catch say. The execution's task handlers must be
 * wrapped by `guard.task`; `onEvent` sees every event, as `eventLogs` gives it.
 */
export const settleWithinQuota = async (
  guard: PayloadGuard,
  execution: Execution,
  onEvent?: (event: unknown) => void,
): Promise<unknown> => {
  guard.bind(() => execution.abort());
  // Events arrive in microtasks: a task after an oversized state sees the violation before it
  // starts (guard.task waits a macrotask turn first).
  void (async () => {
    for await (const event of execution.eventLogs) {
      guard.watch(event as StateEvent);
      onEvent?.(event);
    }
  })().catch(() => undefined);
  const outcome = await execution.result.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await afterPendingChecks();
  if (guard.violation) throw guard.violation;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
};

/** Runs a state machine with the quota enforced on its local task handlers and every event. */
export const runWithinPayloadQuota = (
  machine: { run(input: never, options: never): Execution },
  input: unknown,
  options: RunOptions,
  onEvent?: (event: unknown) => void,
  limit = PAYLOAD_LIMIT_BYTES,
): Promise<unknown> => {
  const guard = createPayloadGuard(limit);
  const handlers = Object.fromEntries(
    Object.entries(options.overrides?.taskResourceLocalHandlers ?? {}).map(([name, handler]) => [
      name,
      guard.task(name, handler),
    ]),
  );
  const execution = machine.run(
    input as never,
    {
      ...options,
      overrides: { ...options.overrides, taskResourceLocalHandlers: handlers },
    } as never,
  );
  return settleWithinQuota(guard, execution, onEvent);
};
