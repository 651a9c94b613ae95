// GET /runs core: each retrain run as the history views draw it — its states with start, end and
// duration, the PSI per metric the drift check computed against its threshold, the A/B round it
// scored, and what the evaluation decided. Built from the run summaries record-run writes
// (runs/<runId>.json, both runtimes) and, where the runtime keeps one, the execution record
// (executions/<runId>.json: the states as entered). Lenient: an older record still shows.
import type { RunStateSpan, RunView } from '../../core/accuracy.js';
import { RUNS_PREFIX } from '../../core/lake.js';
import { mapLimit } from '../../core/map-limit.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

export const EXECUTIONS_PREFIX = 'executions/';
const READ_CONCURRENCY = 8;

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;
const seconds = (from: string | null, to: string | null): number | null => {
  const a = from ? Date.parse(from) : Number.NaN;
  const b = to ? Date.parse(to) : Number.NaN;
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, (b - a) / 1000) : null;
};

const readJson = async (store: ObjectStore, key: string): Promise<Json | undefined> => {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return asRecord(JSON.parse(decodeText(bytes)));
  } catch {
    return undefined;
  }
};

/** The states as entered: spans from the entry times when recorded, else seconds per state. */
export const stateSpans = (
  execution: Json | undefined,
  finishedAt: string | null,
): RunStateSpan[] => {
  const names = Array.isArray(execution?.states) ? execution.states.map(String) : [];
  const entered = Array.isArray(execution?.stateEnteredAt) ? execution.stateEnteredAt : [];
  const summed = asRecord(execution?.stateSeconds) ?? {};
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return names.map((name, i) => {
    const startedAt = text(entered[i]);
    if (startedAt) {
      const endedAt = text(entered[i + 1]) ?? finishedAt;
      return { name, startedAt, endedAt, seconds: seconds(startedAt, endedAt) };
    }
    // Without entry times, a state entered once has its summed seconds; a repeated one cannot say.
    const total = num(summed[name]);
    return {
      name,
      startedAt: null,
      endedAt: null,
      seconds: counts.get(name) === 1 ? total : null,
    };
  });
};

const psiOf = (drift: Json | undefined): Record<string, number> =>
  Object.fromEntries(
    Object.entries(asRecord(drift?.psi) ?? {}).filter(
      (entry): entry is [string, number] => num(entry[1]) !== null,
    ),
  );

const abOf = (summary: Json): RunView['ab'] => {
  const ab = asRecord(summary.ab);
  const challengerWeight = num(ab?.challengerWeight);
  if (!ab || challengerWeight === null) return null;
  return {
    action: text(ab.action) ?? 'none',
    challengerWeight,
    championWeight: num(ab.championWeight) ?? 1 - challengerWeight,
    winner: text(ab.winner),
  };
};

const evaluationOf = (summary: Json): RunView['evaluation'] => {
  const e = asRecord(summary.evaluation);
  if (!e || typeof e.promote !== 'boolean') return null;
  return {
    promote: e.promote,
    reason: text(e.reason) ?? '',
    challengerWql: num(e.challengerWql),
    championWql: num(e.championWql),
  };
};

/** One run from its summary (or the RUNNING record) and its execution record, if any. */
export const runView = (runId: string, summary: Json, execution?: Json): RunView => {
  const startedAt = text(summary.startedAt) ?? text(execution?.startedAt) ?? '';
  const finishedAt = text(summary.finishedAt) ?? text(execution?.finishedAt);
  const drift = asRecord(summary.drift);
  const reasons = Array.isArray(summary.reasons)
    ? summary.reasons.map(String)
    : Array.isArray(execution?.reasons)
      ? execution.reasons.map(String)
      : [];
  return {
    runId,
    status: text(execution?.status) ?? text(summary.status),
    outcome: text(summary.outcome) ?? text(execution?.outcome),
    startedAt,
    finishedAt,
    durationSeconds: seconds(startedAt, finishedAt),
    version: text(summary.version) ?? text(execution?.version),
    reasons,
    states: stateSpans(execution, finishedAt),
    psi: psiOf(drift),
    psiThreshold: num(summary.psiThreshold),
    ab: abOf(summary),
    evaluation: evaluationOf(summary),
  };
};

export interface RunsPage {
  runs: RunView[];
  nextCursor: string | null;
}

const runIdOf = (key: string) => key.slice(RUNS_PREFIX.length, -'.json'.length);

/** Newest first; `cursor` is the last run id of the previous page (older runs follow it). */
export const listRuns = async (
  store: ObjectStore,
  options: { limit: number; cursor?: string },
): Promise<RunsPage> => {
  const ids = (await store.list(RUNS_PREFIX))
    .filter((k) => k.endsWith('.json'))
    .map(runIdOf)
    .sort()
    .reverse();
  const older = options.cursor ? ids.filter((id) => id < (options.cursor as string)) : ids;
  const page = older.slice(0, options.limit);
  const runs = await mapLimit(page, READ_CONCURRENCY, async (id) => {
    const [summary, execution] = await Promise.all([
      readJson(store, `${RUNS_PREFIX}${id}.json`),
      readJson(store, `${EXECUTIONS_PREFIX}${id}.json`),
    ]);
    return runView(id, summary ?? {}, execution);
  });
  return { runs, nextCursor: older.length > page.length ? (page.at(-1) ?? null) : null };
};
