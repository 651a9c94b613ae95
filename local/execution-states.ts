// Step Functions' DescribeExecution for the local runtime's executions (executions/<runId>.json):
// the answer's shape as the SDK integration returns it. A run is RUNNING only while this process
// runs it; one the record still calls RUNNING, or INTERRUPTED, died with an earlier process:
// ABORTED, as a stopped execution is on AWS.
import type { ObjectStore } from '../core/ports.js';
import { decodeText } from '../core/text.js';
import { type ExecutionRecord, executionKey } from './execution-record.js';
import { type ExecutionStates, LOCAL_EXECUTION_ARN_PREFIX } from './retrain-runner.js';

export class ExecutionDoesNotExistException extends Error {
  override readonly name = 'ExecutionDoesNotExistException';
}

const STATUS: Record<ExecutionRecord['status'], string> = {
  RUNNING: 'ABORTED',
  INTERRUPTED: 'ABORTED',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
};

export const executionStates = (
  store: ObjectStore,
  runningNow: (runId: string) => boolean,
): ExecutionStates => ({
  describeExecution: async (request) => {
    const arn = String(request.ExecutionArn ?? '');
    const name = arn.startsWith(LOCAL_EXECUTION_ARN_PREFIX)
      ? arn.slice(LOCAL_EXECUTION_ARN_PREFIX.length)
      : '';
    const bytes = name ? await store.get(executionKey(name)) : undefined;
    if (!bytes) throw new ExecutionDoesNotExistException(`Execution Does Not Exist: '${arn}'`);
    const record = JSON.parse(decodeText(bytes)) as ExecutionRecord;
    return {
      ExecutionArn: arn,
      Name: name,
      StateMachineArn: LOCAL_EXECUTION_ARN_PREFIX.replace(':execution:', ':stateMachine:').slice(
        0,
        -1,
      ),
      Status: runningNow(name) ? 'RUNNING' : STATUS[record.status],
      StartDate: record.startedAt,
      ...(record.finishedAt && !runningNow(name) ? { StopDate: record.finishedAt } : {}),
    };
  },
});
