// A retrain execution as the local runtime saw it (executions/<runId>.json in the lake) — the
// local counterpart of Step Functions' execution history: states entered, status, outcome.
// The outcome itself is written by the record-run step (runs/<runId>.json), on AWS too.
import type { Outcome } from '../core/model-card.js';
import type { ObjectStore } from '../core/ports.js';
import { decodeText } from '../core/text.js';

export const EXECUTIONS_PREFIX = 'executions/';

export interface ExecutionRecord {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  /** INTERRUPTED: the runtime stopped (or was killed) while the run was under way. */
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'INTERRUPTED';
  /** States entered, in order. */
  states: string[];
  /** Seconds spent in each state (summed over repeated entries, e.g. the endpoint wait loop). */
  stateSeconds?: Record<string, number>;
  /** When each state of `states` was entered (ISO), index by index. */
  stateEnteredAt?: string[];
  /** What the run decided (from its run summary), once it has finished. */
  outcome?: Outcome;
  reasons?: string[];
  /** The model version this run trained, if it trained one. */
  version?: string | null;
  /** The execution's error, when it ended in a Fail state or an uncaught error. */
  error?: string;
  cause?: string;
}

export const executionKey = (runId: string): string => `${EXECUTIONS_PREFIX}${runId}.json`;

export const saveExecution = (store: ObjectStore, record: ExecutionRecord): Promise<void> =>
  store.put(executionKey(record.runId), `${JSON.stringify(record, null, 2)}\n`, 'application/json');

/** The newest executions (run ids sort by time), newest first. */
export const recentExecutions = async (
  store: ObjectStore,
  limit = 10,
): Promise<ExecutionRecord[]> => {
  const keys = (await store.list(EXECUTIONS_PREFIX)).slice(-limit).reverse();
  const records: ExecutionRecord[] = [];
  for (const key of keys) {
    const bytes = await store.get(key);
    if (bytes) records.push(JSON.parse(decodeText(bytes)) as ExecutionRecord);
  }
  return records;
};

export const latestExecution = async (store: ObjectStore): Promise<ExecutionRecord | undefined> =>
  (await recentExecutions(store, 1))[0];

const pad = (n: number) => String(n).padStart(2, '0');

/** `run-YYYYMMDD-HHmmss-<suffix>`: sortable by time, valid as a Step Functions execution name. */
export const newRunId = (now: number, suffix: string): string => {
  const d = new Date(now);
  return `run-${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}-${suffix}`;
};
