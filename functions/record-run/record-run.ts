// Records what a retrain run decided, whatever the path: the run summary (runs/<runId>.json), the
// registry entry of the version it trained (models/registry/<version>.json), and — only when
// the challenger was promoted and the endpoint really serves it — the serving card.
import { readCategories } from '../common/deepar-channel.js';
import { deeparRunPrefix } from '../common/lake.js';
import {
  type ModelCard,
  type Outcome,
  PRIMARY_VARIANT,
  type RegistryEntry,
  type RunSummary,
  registryKey,
  runSummaryKey,
  SERVING_CARD_KEY,
} from '../common/model-card.js';
import type { ObjectStore } from '../common/ports.js';
import { decodeText } from '../common/text.js';
import type { RecordRunInput, RunState } from './schema.js';

export interface RecordRunDeps {
  store: ObjectStore;
  now: () => number;
}

export interface RecordRunResult {
  outcome: Outcome;
  version: string | null;
  variant: string | null;
  reasons: string[];
}

const reasonsFor = (outcome: Outcome, state: RunState): string[] => {
  const drift = state.drift?.reasons ?? [];
  switch (outcome) {
    case 'skipped':
      return drift;
    case 'rejected':
      return [...drift, state.evaluation?.reason ?? 'challenger rejected'];
    case 'promoted':
      return [...drift, ...(state.evaluation ? [state.evaluation.reason] : [])];
    case 'rolled-back':
      return [
        `the endpoint rolled back to ${state.endpoint?.endpointConfigName ?? 'the previous config'}; the champion keeps serving`,
      ];
    case 'failed':
      return [`${state.failure?.Error ?? 'Error'}: ${state.failure?.Cause ?? 'no cause given'}`];
  }
};

const metricsOf = (state: RunState): Record<string, number> =>
  Object.fromEntries((state.training?.metrics ?? []).map((m) => [m.MetricName, m.Value]));

const dataWindow = async (store: ObjectStore, runId: string) => {
  const bytes = await store.get(`${deeparRunPrefix(runId)}profile.json`);
  if (!bytes) return { start: null, end: null };
  const profile = JSON.parse(decodeText(bytes)) as { windowStart?: number; windowEnd?: number };
  const iso = (ms?: number) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
  return { start: iso(profile.windowStart), end: iso(profile.windowEnd) };
};

const earliest = (a: string | null, b: string): string =>
  a !== null && Date.parse(a) < Date.parse(b) ? a : b;

const putJson = (store: ObjectStore, key: string, value: unknown) =>
  store.put(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');

export const recordRun = async (
  input: RecordRunInput,
  deps: RecordRunDeps,
): Promise<RecordRunResult> => {
  const { outcome, state } = input;
  const now = new Date(deps.now()).toISOString();
  const reasons = reasonsFor(outcome, state);
  const version = state.training ? (state.prepare?.version ?? null) : null;

  if (state.training && version) {
    const categories = (await readCategories(deps.store, state.runId)) ?? null;
    const entry: RegistryEntry = {
      version,
      runId: state.runId,
      trainingJobName: state.training.trainingJobName,
      modelDataUrl: state.training.modelDataUrl,
      hyperParameters: state.hyperParameters,
      dataWindow: await dataWindow(deps.store, state.runId),
      categories,
      profile: state.drift?.profile ?? {},
      metrics: metricsOf(state),
      evaluation: state.evaluation ?? null,
      deployment: state.deployment
        ? {
            strategy: state.deployment.strategy,
            endpointConfigName: state.endpoint?.endpointConfigName ?? null,
          }
        : null,
      outcome,
      reason: reasons.join('; '),
      createdAt: state.startedAt,
      decidedAt: now,
    };
    // Registry first: a serving card must never point at a version the registry lacks.
    await putJson(deps.store, registryKey(version), entry);
    if (outcome === 'promoted') {
      if (!categories) throw new Error(`no categories for run ${state.runId}`);
      const card: ModelCard = {
        version,
        runId: state.runId,
        trainingJobName: state.training.trainingJobName,
        modelDataUrl: state.training.modelDataUrl,
        endpointName: state.endpointName,
        endpointConfigName: state.endpoint?.endpointConfigName ?? state.training.trainingJobName,
        variant: PRIMARY_VARIANT,
        categories,
        metrics: entry.metrics,
        profile: entry.profile,
        dataWindowStart: entry.dataWindow.start,
        // The data ends where the run's ETL took its snapshot, even if the last hour was partial.
        dataWindowEnd: earliest(entry.dataWindow.end, state.startedAt),
        deployedAt: now,
      };
      await putJson(deps.store, SERVING_CARD_KEY, card);
    }
  }

  const { profile: _profile, ...drift } = state.drift ?? { profile: undefined };
  const summary: RunSummary = {
    runId: state.runId,
    startedAt: state.startedAt,
    finishedAt: now,
    outcome,
    reasons,
    version,
    drift: state.drift ? (drift as RunSummary['drift']) : null,
    evaluation: state.evaluation ?? null,
    error: state.failure ? { name: state.failure.Error, cause: state.failure.Cause ?? '' } : null,
  };
  await putJson(deps.store, runSummaryKey(state.runId), summary);
  return { outcome, version, variant: outcome === 'promoted' ? PRIMARY_VARIANT : null, reasons };
};
