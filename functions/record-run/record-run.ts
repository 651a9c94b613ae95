// Records what a retrain run decided, whatever the path: the run summary (runs/<runId>.json), the
// registry entry of the version it trained (models/registry/<version>.json), and — only when
// the challenger was promoted and the endpoint really serves it — the serving card, written last
// (after the recent-records index, models/recent.json, that GET /status reads instead of listing).

import { SmogcastError } from '../../core/errors.js';
import { deeparRunPrefix } from '../../core/lake.js';
import {
  ModelCard,
  type Outcome,
  PRIMARY_VARIANT,
  RECENT_RECORDS_KEY,
  type RecentRecords,
  RegistryEntry,
  type RunSummary,
  registryKey,
  runSummaryKey,
  SERVING_CARD_KEY,
  withRecentRecords,
} from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';
import { IN_PROCESS_VARIANT } from '../common/adapters/in-process-engine.js';
import { readCategories } from '../common/deepar-channel.js';
import type { RecordRunInput, RunState } from './schema.js';

/** A run to promote whose prepare step left no category maps: the card could not name devices. */
export class MissingCategoriesError extends SmogcastError {
  constructor(runId: string, options?: ErrorOptions) {
    super(`no categories for run ${runId}`, options);
    this.name = 'MissingCategoriesError';
  }
}

/** A canary was asked for with no serving card to put it beside. */
export class NoChampionToCanaryError extends SmogcastError {
  constructor(version: string, options?: ErrorOptions) {
    super(`no serving card to canary ${version} beside`, options);
    this.name = 'NoChampionToCanaryError';
  }
}

/**
 * The serving pointer is no longer the object the run decided on (check-drift's ETag, or the
 * canary pointer the run wrote itself): another writer got there first. Nothing is written over
 * it: the pointer is left as that writer left it.
 */
export class ServingPointerChangedError extends SmogcastError {
  constructor(expected: string | null, since = 'check-drift read it', options?: ErrorOptions) {
    const was = expected === null ? 'none existed' : `ETag ${expected}`;
    super(`the serving pointer changed after ${since} (${was})`, options);
    this.name = 'ServingPointerChangedError';
  }
}

/**
 * The pointer a run's write must still find, or undefined where it cannot tell (no drift report,
 * as in an A/B round; a store without ETags): the canary pointer the run wrote, once it baked
 * one; before that, the pointer check-drift read (null: there was none, so none may exist).
 */
const pointerDecidedOn = (state: RunState): { etag: string | null; since: string } | undefined => {
  const written = state.canary?.pointerEtag;
  if (written) return { etag: written, since: 'this run wrote its canary' };
  const serving = state.drift?.serving;
  if (!serving) return undefined;
  if (serving.etag === null && serving.version !== null) return undefined;
  return { etag: serving.etag, since: 'check-drift read it' };
};

export interface RecordRunDeps {
  store: ObjectStore;
  now: () => number;
}

export interface RecordRunResult {
  outcome: Outcome;
  version: string | null;
  variant: string | null;
  reasons: string[];
  /**
   * Outcome canary: the share of devices the canary serves, since when (this step's clock), and
   * the ETag of the pointer written (what the canary's promotion must still find).
   */
  canary?: { percent: number; startedAt: string; pointerEtag: string | null };
}

/** The share of devices an engine canary gets: the run's deployment.engineCanaryPercent. */
const canaryPercentOf = (state: RunState): number => {
  const raw = Number(
    (state.deployment as { engineCanaryPercent?: unknown } | undefined)?.engineCanaryPercent,
  );
  return Number.isFinite(raw) && raw > 0 && raw < 100 ? raw : 10;
};

/** What the restore path did, when the run failed after its deployment began. */
const restoreReasons = (state: RunState): string[] => {
  const previous = state.previous?.endpointConfigName;
  if (!previous) return [];
  if (state.restoreError) {
    const { Error: name, Cause: cause } = state.restoreError;
    return [
      `the endpoint could not be put back on ${previous}: ${name}: ${cause ?? 'no cause given'}`,
    ];
  }
  if (state.restored) {
    const ab = state.ab;
    const weights =
      ab?.active && ab.servingChallengerWeight !== undefined
        ? ` with the weights models/serving.json names (champion ${ab.servingChampionWeight}, challenger ${ab.servingChallengerWeight})`
        : '';
    return [`the endpoint was put back on ${previous}${weights}`];
  }
  if (state.restoreCheck) return [`the endpoint still serves ${previous}`];
  return [];
};

/** Step Functions' statuses of an execution that has not ended. */
const LIVE_STATUSES = new Set(['RUNNING', 'PENDING_REDRIVE']);

/** Skipped beside another run's canary that still bakes (CanaryRunEnded?): whose, and why. */
const bakingReasons = (state: RunState): string[] => {
  const serving = state.drift?.serving;
  if (!state.canaryRun || !LIVE_STATUSES.has(state.canaryRun.status) || !serving?.canaryRunId) {
    return [];
  }
  return [
    `run ${serving.canaryRunId}'s canary${serving.canaryVersion ? ` ${serving.canaryVersion}` : ''} is still baking: one rollout at a time, so this run deploys nothing and a later run decides`,
  ];
};

const reasonsFor = (outcome: Outcome, state: RunState): string[] => {
  const drift = state.drift?.reasons ?? [];
  // An A/B test's conclusion (promoted: the challenger won; rejected: the champion did) is
  // decided by score-ab's round, not by a drift check or an evaluation: its reasons are the round's.
  if (state.ab?.active && (outcome === 'promoted' || outcome === 'rejected')) {
    return state.ab.reasons;
  }
  switch (outcome) {
    case 'skipped':
      return [...bakingReasons(state), ...drift];
    case 'rejected':
      return [...drift, state.evaluation?.reason ?? 'challenger rejected'];
    case 'promoted':
      return [
        ...drift,
        ...(state.evaluation ? [state.evaluation.reason] : []),
        ...(state.canaryCheck?.reasons ?? []),
      ];
    case 'canary':
      return [
        ...drift,
        ...(state.evaluation ? [state.evaluation.reason] : []),
        `engine canary: serves ${canaryPercentOf(state)}% of devices beside champion ${state.drift?.championVersion ?? 'unknown'} while it bakes`,
      ];
    case 'rolled-back':
      if (state.canaryCheck) {
        return [
          ...state.canaryCheck.reasons,
          `the serving pointer is back on champion ${state.drift?.championVersion ?? 'unknown'}; the champion serves every device`,
        ];
      }
      return [
        `the endpoint rolled back to ${state.endpoint?.endpointConfigName ?? 'the previous config'}; the champion keeps serving`,
      ];
    case 'failed':
      return [
        `${state.failure?.Error ?? 'Error'}: ${state.failure?.Cause ?? 'no cause given'}`,
        ...restoreReasons(state),
      ];
    case 'ab-testing':
      return state.ab?.active
        ? state.ab.reasons
        : [
            ...drift,
            ...(state.evaluation ? [state.evaluation.reason] : []),
            'A/B test started: champion and challenger serve 50/50',
          ];
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

export const putJson = (store: ObjectStore, key: string, value: unknown) =>
  store.put(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');

const readCard = async (store: ObjectStore): Promise<ModelCard | undefined> => {
  const bytes = await store.get(SERVING_CARD_KEY);
  return bytes ? ModelCard.parse(JSON.parse(decodeText(bytes))) : undefined;
};

/** The version a run recorded, and the serving card to write once everything else is. */
interface Recorded {
  version: string | null;
  card?: ModelCard;
}

/** The outcome of an A/B round or its conclusion: weights, the winner, the registry verdict. */
const recordABRound = async (
  outcome: Outcome,
  state: RunState,
  reasons: string[],
  deps: RecordRunDeps,
  now: string,
  written: RegistryEntry[],
): Promise<Recorded> => {
  const card = await readCard(deps.store);
  const test = card?.abTest;
  const ab = state.ab;
  if (!card || !test || !ab) return { version: null };
  const challenger = test.challenger;
  if (ab.action !== 'conclude' || (outcome !== 'promoted' && outcome !== 'rejected')) {
    // A round (or a conclusion that did not deploy): only the weights move.
    // A failed run names the new weights only if the endpoint took them.
    if (ab.action === 'shift' && (outcome !== 'failed' || state.weightsUpdated)) {
      return {
        version: challenger.version,
        card: {
          ...card,
          abTest: { ...test, challengerWeight: ab.challengerWeight, rounds: test.rounds + 1 },
        },
      };
    }
    return { version: challenger.version };
  }
  const entryBytes = await deps.store.get(registryKey(challenger.version));
  if (entryBytes) {
    const entry = RegistryEntry.parse(JSON.parse(decodeText(entryBytes)));
    const decided: RegistryEntry = {
      ...entry,
      outcome,
      reason: `${entry.reason}; ${reasons.join('; ')}`,
      decidedAt: now,
    };
    await putJson(deps.store, registryKey(challenger.version), decided);
    written.push(decided);
  }
  const endpointConfigName = state.endpoint?.endpointConfigName ?? card.endpointConfigName;
  const { abTest: _done, ...champion } = card;
  const next: ModelCard =
    outcome === 'promoted'
      ? {
          ...champion,
          ...challenger,
          endpointName: card.endpointName,
          endpointConfigName,
          variant: PRIMARY_VARIANT,
          deployedAt: now,
        }
      : { ...champion, endpointConfigName, variant: PRIMARY_VARIANT };
  return { version: challenger.version, card: next };
};

/** models/recent.json with this run first: by compare-and-swap where the store can. */
export const updateRecentRecords = async (
  store: ObjectStore,
  summary: RunSummary,
  written: readonly RegistryEntry[],
): Promise<void> => {
  if (!store.getVersioned || !store.putIfMatch) {
    const bytes = await store.get(RECENT_RECORDS_KEY);
    const index = bytes ? (JSON.parse(decodeText(bytes)) as RecentRecords) : undefined;
    await putJson(store, RECENT_RECORDS_KEY, withRecentRecords(index, summary, written));
    return;
  }
  for (let attempt = 1; attempt <= 10; attempt++) {
    const current = await store.getVersioned(RECENT_RECORDS_KEY);
    const index = current ? (JSON.parse(decodeText(current.body)) as RecentRecords) : undefined;
    const body = `${JSON.stringify(withRecentRecords(index, summary, written), null, 2)}\n`;
    if (await store.putIfMatch(RECENT_RECORDS_KEY, body, current?.etag ?? null, 'application/json'))
      return;
  }
  throw new RecentRecordsConflictError();
};

export class RecentRecordsConflictError extends SmogcastError {
  constructor() {
    super(`${RECENT_RECORDS_KEY} kept changing under 10 attempts`);
    this.name = 'RecentRecordsConflictError';
  }
}

export const recordRun = async (
  input: RecordRunInput,
  deps: RecordRunDeps,
): Promise<RecordRunResult> => {
  const { outcome, state } = input;
  const now = new Date(deps.now()).toISOString();
  const reasons = reasonsFor(outcome, state);
  let version = state.training ? (state.prepare?.version ?? null) : null;
  const written: RegistryEntry[] = [];
  let card: ModelCard | undefined;
  let canary: { percent: number; startedAt: string } | undefined;
  // A pointer is written only over the very object the run decided on (and, for a canary,
  // backed up): a run never deploys over what another run wrote meanwhile.
  const writesPointer = outcome === 'canary' || outcome === 'promoted' || outcome === 'ab-testing';
  const decidedOn = writesPointer && !state.ab?.active ? pointerDecidedOn(state) : undefined;
  if (decidedOn && deps.store.getVersioned) {
    const current = await deps.store.getVersioned(SERVING_CARD_KEY);
    if ((current?.etag ?? null) !== decidedOn.etag) {
      throw new ServingPointerChangedError(decidedOn.etag, decidedOn.since);
    }
  }

  if (state.ab?.active) {
    ({ version, card } = await recordABRound(outcome, state, reasons, deps, now, written));
  } else if (state.training && version) {
    const categories = (await readCategories(deps.store, state.runId)) ?? null;
    // An engine model is served in process by the forecast Lambda: no endpoint config is its.
    const inProcess = state.training.algorithm === 'smogcast';
    const entry: RegistryEntry = {
      version,
      runId: state.runId,
      trainingJobName: state.training.trainingJobName,
      algorithm: state.training.algorithm ?? 'deepar',
      modelDataUrl: state.training.modelDataUrl,
      hyperParameters: state.hyperParameters,
      dataWindow: await dataWindow(deps.store, state.runId),
      categories,
      profile: state.drift?.profile ?? {},
      metrics: metricsOf(state),
      evaluation: state.evaluation ?? null,
      deployment: inProcess
        ? {
            // Baked on a share of devices first, or switched all at once.
            strategy:
              outcome === 'canary' || state.canaryCheck ? 'in-process-canary' : 'in-process',
            endpointConfigName: null,
          }
        : state.deployment
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
    written.push(entry);
    if (outcome === 'promoted' || outcome === 'ab-testing' || outcome === 'canary') {
      if (!categories) throw new MissingCategoriesError(state.runId);
      const served = {
        version,
        runId: state.runId,
        trainingJobName: state.training.trainingJobName,
        algorithm: entry.algorithm,
        modelDataUrl: state.training.modelDataUrl,
        categories,
        metrics: entry.metrics,
        profile: entry.profile,
        dataWindowStart: entry.dataWindow.start,
        // The data ends where the run's ETL took its snapshot, even if the last hour was partial.
        dataWindowEnd: earliest(entry.dataWindow.end, state.startedAt),
      };
      const endpointConfigName = inProcess
        ? ''
        : (state.endpoint?.endpointConfigName ?? state.training.trainingJobName);
      const champion =
        outcome === 'ab-testing' || outcome === 'canary' ? await readCard(deps.store) : undefined;
      if (outcome === 'canary') {
        if (!champion) throw new NoChampionToCanaryError(version);
        canary = { percent: canaryPercentOf(state), startedAt: now };
        const { canary: _previous, ...serving } = champion;
        card = { ...serving, canary: { model: served, ...canary } };
      } else
        card = champion
          ? {
              ...champion,
              endpointConfigName,
              abTest: { challenger: served, challengerWeight: 0.5, startedAt: now, rounds: 0 },
            }
          : {
              ...served,
              endpointName: state.endpointName,
              endpointConfigName,
              variant: inProcess ? IN_PROCESS_VARIANT : PRIMARY_VARIANT,
              deployedAt: now,
            };
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
    psiThreshold: state.policy?.psiThreshold ?? null,
    ab: state.ab?.active
      ? {
          action: state.ab.action,
          challengerWeight: state.ab.challengerWeight,
          championWeight:
            typeof state.ab.championWeight === 'number'
              ? state.ab.championWeight
              : 1 - state.ab.challengerWeight,
          winner: state.ab.winner,
        }
      : null,
  };
  await putJson(deps.store, runSummaryKey(state.runId), summary);
  await updateRecentRecords(deps.store, summary, written);
  // The serving card last: if any write before it fails, the card still names what served
  // before, which is what the state machine's restore puts the endpoint back on.
  let pointerEtag: string | null = null;
  if (card && decidedOn && deps.store.putIfMatch) {
    const body = `${JSON.stringify(card, null, 2)}\n`;
    const etag = await deps.store.putIfMatch(
      SERVING_CARD_KEY,
      body,
      decidedOn.etag,
      'application/json',
    );
    if (etag === false) throw new ServingPointerChangedError(decidedOn.etag, decidedOn.since);
    pointerEtag = etag;
  } else if (card) await putJson(deps.store, SERVING_CARD_KEY, card);
  const variant =
    outcome !== 'promoted'
      ? null
      : state.training?.algorithm === 'smogcast'
        ? IN_PROCESS_VARIANT
        : PRIMARY_VARIANT;
  return {
    outcome,
    version,
    variant,
    reasons,
    ...(canary ? { canary: { ...canary, pointerEtag } } : {}),
  };
};
