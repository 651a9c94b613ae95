// A retrain execution as the local runtime records it (runs/<runId>.json in the lake): what the
// status endpoint shows and what survives a restart.
import { RUNS_PREFIX } from '../functions/common/lake.js';
import type { ObjectStore } from '../functions/common/ports.js';
import { decodeText } from '../functions/common/text.js';

export interface RunRecord {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  /** States entered, in order. */
  states: string[];
  /** The model version deployed by this run, when it succeeded. */
  version?: string;
  error?: string;
  cause?: string;
}

export const runKey = (runId: string): string => `${RUNS_PREFIX}${runId}.json`;

export const saveRun = (store: ObjectStore, run: RunRecord): Promise<void> =>
  store.put(runKey(run.runId), `${JSON.stringify(run, null, 2)}\n`, 'application/json');

/** The newest run (run ids sort by time), if any. */
export const latestRun = async (store: ObjectStore): Promise<RunRecord | undefined> => {
  const keys = await store.list(RUNS_PREFIX);
  const key = keys.at(-1);
  if (!key) return undefined;
  const bytes = await store.get(key);
  return bytes ? (JSON.parse(decodeText(bytes)) as RunRecord) : undefined;
};

const pad = (n: number) => String(n).padStart(2, '0');

/** `run-YYYYMMDD-HHmmss-<suffix>`: sortable by time, valid as a Step Functions execution name. */
export const newRunId = (now: number, suffix: string): string => {
  const d = new Date(now);
  return `run-${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}-${suffix}`;
};
