// What a retrain run killed with the runtime leaves behind, put right on the next start. On AWS
// Step Functions outlives the caller; locally the execution dies with the process, so:
// - every run is recorded in runs/ when it starts (status RUNNING, the shape record-run and
//   GET /status read), and its states as it enters them (executions/);
// - on start, a run still RUNNING is recorded as INTERRUPTED, with the last state it reached;
// - a canary left in the serving pointer by a run that died mid-bake is rolled back to that run's
//   own backup (the copy the state machine's RestoreServingPointer makes, as its role) and
//   recorded rolled-back ("run <id> ended mid-bake"), as the next run does on AWS;
// - an endpoint left serving a config the serving card does not name (a deployment the run never
//   recorded) is rolled back to the card's config through the SageMaker API, as the state
//   machine's role — the same IAM-checked UpdateEndpoint the definition calls.
import { SmogcastError } from '../core/errors.js';
import { RUNS_PREFIX } from '../core/lake.js';
import {
  type ModelCard,
  RECENT_RECORDS_KEY,
  type RecentRecords,
  type RunSummary,
  SERVING_CARD_KEY,
  servingBackupKey,
  withRecentRecords,
} from '../core/model-card.js';
import type { ObjectStore } from '../core/ports.js';
import { decodeText } from '../core/text.js';
import type { ServingPointer } from '../functions/common/serving-pointer.js';
import type { LeftoverCanary } from '../functions/record-run/schema.js';
import { RunRecord } from '../functions/status/pipeline-records.js';
import { type ExecutionRecord, executionKey, saveExecution } from './execution-record.js';
import type { PointerObjects, SageMakerControlPlane } from './retrain-runner.js';

/** How many of the newest runs are checked: one runs at a time, so only the newest can be open. */
const RECENT_RUNS = 10;

const putJson = (store: ObjectStore, key: string, value: unknown) =>
  store.put(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');

const runKey = (runId: string) => `${RUNS_PREFIX}${runId}.json`;

/** runs/<runId>.json while the run is under way; record-run replaces it with the summary. */
export const recordRunStart = (store: ObjectStore, record: ExecutionRecord): Promise<void> =>
  putJson(store, runKey(record.runId), {
    runId: record.runId,
    status: 'RUNNING',
    startedAt: record.startedAt,
    states: record.states,
  });

/**
 * A run that ended without a summary of its own (no record step ran): its end, in runs/ and in
 * the recent-records index GET /status reads (record-run is not there to put it in).
 */
export const recordRunEnd = async (
  store: ObjectStore,
  record: ExecutionRecord,
  reason: string,
): Promise<void> => {
  const summary: RunSummary = {
    runId: record.runId,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt ?? record.startedAt,
    outcome: 'failed',
    reasons: [reason],
    version: null,
    drift: null,
    evaluation: null,
    error: { name: record.error ?? record.status, cause: record.cause ?? reason },
  };
  await putJson(store, runKey(record.runId), {
    ...summary,
    status: record.status,
    states: record.states,
  });
  // One process runs the local machine's runs one at a time: no concurrent writer to race.
  const bytes = await store.get(RECENT_RECORDS_KEY);
  const index = bytes ? (JSON.parse(decodeText(bytes)) as RecentRecords) : undefined;
  if (index) await putJson(store, RECENT_RECORDS_KEY, withRecentRecords(index, summary, []));
};

/** The newest `count` run records in runs/ (keys sort by time), newest first. */
const newestRuns = async (store: ObjectStore, count: number): Promise<RunRecord[]> => {
  const keys = (await store.list(RUNS_PREFIX)).filter((k) => k.endsWith('.json')).slice(-count);
  const runs: RunRecord[] = [];
  for (const key of keys.reverse()) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    try {
      const parsed = RunRecord.safeParse(JSON.parse(decodeText(bytes)));
      if (parsed.success) runs.push(parsed.data);
    } catch {
      // Not JSON: not a run record this step can settle.
    }
  }
  return runs;
};

const readExecution = async (
  store: ObjectStore,
  runId: string,
): Promise<ExecutionRecord | undefined> => {
  const bytes = await store.get(executionKey(runId));
  return bytes ? (JSON.parse(decodeText(bytes)) as ExecutionRecord) : undefined;
};

export interface InterruptedRun {
  runId: string;
  /** The last state the run entered, if any. */
  reached: string | null;
}

/** Records every run still RUNNING (the process that ran it is gone) as INTERRUPTED. */
export const recordInterruptedRuns = async (
  store: ObjectStore,
  now: () => number,
): Promise<InterruptedRun[]> => {
  // A canary's summary (record-run's, outcome canary) stands in a run's record while it bakes.
  const open = (await newestRuns(store, RECENT_RUNS)).filter(
    (run: RunRecord) => run.status === 'RUNNING' || run.outcome === 'canary',
  );
  const interrupted: InterruptedRun[] = [];
  for (const run of open) {
    const execution = await readExecution(store, run.runId);
    const states = execution?.states.length ? execution.states : run.states;
    const reached = states.at(-1) ?? null;
    const cause = `the local runtime stopped while the run was ${reached ? `in state ${reached}` : 'starting'}`;
    const record: ExecutionRecord = {
      ...(execution ?? {
        runId: run.runId,
        startedAt: run.startedAt ?? new Date(now()).toISOString(),
      }),
      states,
      status: 'INTERRUPTED',
      finishedAt: new Date(now()).toISOString(),
      error: 'RuntimeInterrupted',
      cause,
    };
    await saveExecution(store, record);
    await recordRunEnd(store, record, cause);
    interrupted.push({ runId: run.runId, reached });
  }
  return interrupted;
};

interface EndpointDescription {
  EndpointStatus?: string;
  EndpointConfigName?: string;
  PendingDeploymentSummary?: { EndpointConfigName?: string };
}

export type EndpointRepair =
  | { kind: 'none' }
  | { kind: 'wait' }
  | { kind: 'rollback'; from: string; to: string }
  /** Serving a config no card names, and no card to go back to: left for the next deployment. */
  | { kind: 'unregistered'; config: string };

/** What an endpoint needs, given what it serves and what the serving card says it should. */
export const endpointRepair = (
  endpoint: EndpointDescription | undefined,
  card: Pick<ModelCard, 'endpointConfigName'> | undefined,
): EndpointRepair => {
  if (!endpoint) return { kind: 'none' };
  const status = endpoint.EndpointStatus ?? '';
  if (status === 'Creating' || status === 'Updating' || endpoint.PendingDeploymentSummary) {
    return { kind: 'wait' };
  }
  const serving = endpoint.EndpointConfigName ?? '';
  if (!card) return serving ? { kind: 'unregistered', config: serving } : { kind: 'none' };
  if (!card.endpointConfigName || serving === card.endpointConfigName) return { kind: 'none' };
  return { kind: 'rollback', from: serving, to: card.endpointConfigName };
};

export interface ReconcileEndpointOptions {
  sagemaker: SageMakerControlPlane;
  endpointName: string;
  card: ModelCard | undefined;
  pollMs: number;
  /** Polls of DescribeEndpoint before giving up on a deployment in progress. */
  maxPolls?: number;
}

export class EndpointReconcileError extends SmogcastError {
  override readonly name = 'EndpointReconcileError';
}

const describeIfAny = async (
  sagemaker: SageMakerControlPlane,
  EndpointName: string,
): Promise<EndpointDescription | undefined> => {
  try {
    return (await sagemaker.describeEndpoint({ EndpointName })) as EndpointDescription;
  } catch (error) {
    if ((error as Error).name === 'ValidationException') return undefined;
    throw error;
  }
};

/**
 * Waits out a deployment in progress, then rolls the endpoint back to the card's config when it
 * serves another one. Resolves with what was done (`none` when nothing needed doing).
 */
export const reconcileEndpoint = async (
  options: ReconcileEndpointOptions,
): Promise<EndpointRepair> => {
  const { sagemaker, endpointName: EndpointName } = options;
  const settled = async () => {
    for (let poll = 0; poll < (options.maxPolls ?? 240); poll++) {
      const repair = endpointRepair(await describeIfAny(sagemaker, EndpointName), options.card);
      if (repair.kind !== 'wait') return repair;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    }
    throw new EndpointReconcileError(`endpoint ${EndpointName} stayed in a deployment`);
  };
  const repair = await settled();
  if (repair.kind !== 'rollback') return repair;
  await sagemaker.updateEndpoint({ EndpointName, EndpointConfigName: repair.to });
  const after = await settled();
  if (after.kind !== 'none') {
    throw new EndpointReconcileError(
      `endpoint ${EndpointName} did not return to ${repair.to} (${JSON.stringify(after)})`,
    );
  }
  return repair;
};

export interface LeftoverCanaryOptions {
  /** The serving pointer as the state machine's role reads it. */
  pointer: Promise<ServingPointer | undefined>;
  /** The state machine's S3 calls (CopyObject as its role). */
  objects: PointerObjects;
  bucket: string;
  /** Records the rollback (record-run's leftover-canary path, as its role). */
  record: (leftover: LeftoverCanary) => Promise<unknown>;
}

/**
 * On start no run is under way: a canary the pointer names was left by a run that died mid-bake.
 * The pointer is copied back from that run's own backup and the rollback recorded. Resolves with
 * the canary rolled back, or undefined when the pointer names none.
 */
export const rollBackLeftoverCanary = async (
  options: LeftoverCanaryOptions,
): Promise<LeftoverCanary | undefined> => {
  const card = (await options.pointer)?.card;
  if (!card?.canary) return undefined;
  const leftover: LeftoverCanary = {
    runId: card.canary.model.runId,
    version: card.canary.model.version,
    championVersion: card.version,
  };
  await options.objects.copyObject({
    Bucket: options.bucket,
    Key: SERVING_CARD_KEY,
    CopySource: `${options.bucket}/${servingBackupKey(leftover.runId)}`,
  });
  await options.record(leftover);
  return leftover;
};
