// The model registry in the lake (models/): one entry per trained version, the serving card
// (models/serving.json: the champion the endpoint runs, with the category maps the forecast API
// needs for DeepAR `cat`), and one summary per retrain run (runs/<runId>.json).
import { z } from 'zod';
import { ALGORITHMS, type Algorithm } from './engine-artifact.js';
import { MODELS_PREFIX, RUNS_PREFIX } from './lake.js';

export const SERVING_CARD_KEY = `${MODELS_PREFIX}serving.json`;
/** An engine canary run's copy of the pointer as it was before its canary (its rollback's source). */
export const servingBackupKey = (runId: string): string =>
  `${MODELS_PREFIX}serving.backup/${runId}.json`;
export const REGISTRY_PREFIX = `${MODELS_PREFIX}registry/`;
export const registryKey = (version: string): string => `${REGISTRY_PREFIX}${version}.json`;
export const runSummaryKey = (runId: string): string => `${RUNS_PREFIX}${runId}.json`;

/** The production variant name every endpoint config uses (stable, so rollback alarms can watch it). */
export const PRIMARY_VARIANT = 'primary';

export const Categories = z.object({
  devices: z.array(z.string()),
  metrics: z.array(z.string()),
});
export type Categories = z.infer<typeof Categories>;

const HistogramSchema = z.object({ counts: z.array(z.number()), total: z.number() });
export const DriftProfileSchema = z.record(z.string(), HistogramSchema);

export const Outcome = z.enum([
  'skipped',
  'promoted',
  'rejected',
  'rolled-back',
  'failed',
  'ab-testing',
  /** An engine model serving a share of devices beside the engine champion, baking. */
  'canary',
]);
export type Outcome = z.infer<typeof Outcome>;

/** Which algorithm trained a version; absent (records written before there was a choice): DeepAR. */
export const AlgorithmSchema = z.enum(ALGORITHMS).optional();

/** The algorithm of a served model or registry entry. */
export const algorithmOf = (record: { algorithm?: Algorithm | undefined }): Algorithm =>
  record.algorithm ?? 'deepar';

/** One candidate of a run that trained both algorithms, scored on the same held-out window. */
export const CandidateScore = z.object({
  algorithm: z.enum(ALGORITHMS),
  trainingJobName: z.string(),
  wql: z.number().nullable(),
  /** Set when this candidate's training failed: why (it could not challenge). */
  failure: z.string().optional(),
});
export type CandidateScore = z.infer<typeof CandidateScore>;

export const Evaluation = z.object({
  promote: z.boolean(),
  reason: z.string(),
  challengerWql: z.number().nullable(),
  championWql: z.number().nullable(),
  championVersion: z.string().nullable(),
  margin: z.number(),
  /** With algorithm both: every candidate's score and why the challenger is the one it is. */
  candidates: z.array(CandidateScore).optional(),
  choice: z.string().optional(),
});
export type Evaluation = z.infer<typeof Evaluation>;

/**
 * What serves, as the retrain state machine's choices need it: never the card itself, whose
 * category map names every device and so is over Step Functions' 256 KiB payload quota at fleet
 * scale. check-drift reads the card and returns these facts.
 */
export const ServingFacts = z.object({
  /** The champion's algorithm; none: nothing serves yet. */
  algorithm: z.union([z.enum(ALGORITHMS), z.literal('none')]),
  version: z.string().nullable(),
  /** An A/B test or an engine canary is under way beside the champion. */
  abTest: z.boolean(),
  canary: z.boolean(),
  /**
   * The ETag of the pointer these facts were read from (null: no pointer): a canary's backup is
   * copied only if the pointer is still that object (CopySourceIfMatch), so it backs up what the
   * run decided on.
   */
  etag: z.string().nullable().default(null),
  /** The run whose canary the pointer names and its version (null: no canary): a canary left by
   * a run that ended mid-bake is rolled back to that run's backup. */
  canaryRunId: z.string().nullable().default(null),
  canaryVersion: z.string().nullable().default(null),
});
export type ServingFacts = z.infer<typeof ServingFacts>;

export const DriftReport = z.object({
  train: z.boolean(),
  reasons: z.array(z.string()),
  championVersion: z.string().nullable(),
  /** The champion's SageMaker model name (an A/B test puts it beside the challenger). */
  championModel: z.string().nullable().default(null),
  psi: z.record(z.string(), z.number()),
  /** The champion's wQL on the newest held-out window, and its backtest wQL at training time. */
  championRecentWql: z.number().nullable(),
  championBacktestWql: z.number().nullable(),
  championAgeHours: z.number().nullable(),
  /** Readings that arrived after the champion's training data (the PSI's sample). */
  newReadings: z.number().default(0),
  /** What served when the check ran (absent from reports written before it said so). */
  serving: ServingFacts.optional(),
  profile: DriftProfileSchema,
});
export type DriftReport = z.infer<typeof DriftReport>;

/** The production variant names of an A/B test (both models serve, by weight). */
export const AB_VARIANTS = { champion: 'champion', challenger: 'challenger' } as const;

/** Which trained version a record is about: its version, the run and the job that made it. */
const ModelIdentity = z.object({
  version: z.string(),
  runId: z.string(),
  trainingJobName: z.string(),
});

/** A model as the serving card and an A/B test describe it. */
const ServedModel = ModelIdentity.extend({
  /** deepar: served by the endpoint; smogcast: by the forecast Lambda from modelDataUrl. */
  algorithm: AlgorithmSchema,
  modelDataUrl: z.string(),
  categories: Categories,
  metrics: z.record(z.string(), z.number()).default({}),
  profile: DriftProfileSchema.default({}),
  /** The model's training data window (ISO): readings after its end are new to the model. */
  dataWindowStart: z.string().nullable().default(null),
  dataWindowEnd: z.string().nullable().default(null),
});

export const ABTest = z.object({
  challenger: ServedModel,
  /** Share of traffic (0..1) the challenger variant gets; the champion gets the rest. */
  challengerWeight: z.number().min(0).max(1),
  startedAt: z.string(),
  rounds: z.number().int().default(0),
});
export type ABTest = z.infer<typeof ABTest>;

/**
 * An engine canary: the new engine model serves the devices whose stable hash falls under
 * `percent` (core/engine-canary.ts), the champion the rest, until the bake ends.
 */
export const EngineCanary = z.object({
  model: ServedModel,
  percent: z.number().min(0).max(100),
  startedAt: z.string(),
});
export type EngineCanary = z.infer<typeof EngineCanary>;

/** The serving card: the champion (a served model) and where and since when it serves. */
export const ModelCard = ServedModel.extend({
  endpointName: z.string(),
  endpointConfigName: z.string().default(''),
  variant: z.string(),
  deployedAt: z.string(),
  /** Set while an A/B test runs: the endpoint then serves both models by weight. */
  abTest: ABTest.optional(),
  /** Set while an engine canary bakes: the forecast Lambda routes its share of devices to it. */
  canary: EngineCanary.optional(),
});
export type ModelCard = z.infer<typeof ModelCard>;

/** The facts of a serving card the state machine's choices need (ServingFacts). */
export const servingFacts = (
  card: ModelCard | undefined,
  etag: string | null = null,
): ServingFacts =>
  card
    ? {
        algorithm: algorithmOf(card),
        version: card.version,
        abTest: card.abTest !== undefined,
        canary: card.canary !== undefined,
        etag,
        canaryRunId: card.canary?.model.runId ?? null,
        canaryVersion: card.canary?.model.version ?? null,
      }
    : {
        algorithm: 'none',
        version: null,
        abTest: false,
        canary: false,
        etag: null,
        canaryRunId: null,
        canaryVersion: null,
      };

export const RegistryEntry = ModelIdentity.extend({
  algorithm: AlgorithmSchema,
  modelDataUrl: z.string().nullable(),
  hyperParameters: z.record(z.string(), z.string()),
  dataWindow: z.object({ start: z.string().nullable(), end: z.string().nullable() }),
  categories: Categories.nullable(),
  profile: DriftProfileSchema,
  metrics: z.record(z.string(), z.number()),
  evaluation: Evaluation.nullable(),
  deployment: z
    .object({ strategy: z.string(), endpointConfigName: z.string().nullable() })
    .nullable(),
  outcome: Outcome,
  reason: z.string(),
  createdAt: z.string(),
  decidedAt: z.string(),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

export const RunSummary = z.object({
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  outcome: Outcome,
  reasons: z.array(z.string()),
  version: z.string().nullable(),
  drift: DriftReport.omit({ profile: true }).nullable(),
  evaluation: Evaluation.nullable(),
  error: z.object({ name: z.string(), cause: z.string() }).nullable(),
  /** The PSI above which the drift check called a metric drifted (the run's policy). */
  psiThreshold: z.number().nullable().optional(),
  /** The A/B round score-ab decided in this run, when an A/B test was active. */
  ab: z
    .object({
      action: z.string(),
      challengerWeight: z.number(),
      championWeight: z.number().optional(),
      winner: z.string().nullable(),
    })
    .nullable()
    .optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/**
 * models/recent.json: the newest run summaries and registry entries (without their category
 * maps and profiles), newest first — maintained by record-run, read by GET /status, so the
 * status page reads one object instead of listing runs/ and models/registry/.
 */
export const RECENT_RECORDS_KEY = `${MODELS_PREFIX}recent.json`;
export const RECENT_RECORDS_KEPT = 20;

export type RecentRegistryEntry = Omit<RegistryEntry, 'categories' | 'profile'>;

export interface RecentRecords {
  v: 1;
  runs: RunSummary[];
  registry: RecentRegistryEntry[];
}

/** The index with `run` and `entries` put first (replacing older copies), cut to `kept`. */
export const withRecentRecords = (
  index: RecentRecords | undefined,
  run: RunSummary,
  entries: readonly RegistryEntry[],
  kept = RECENT_RECORDS_KEPT,
): RecentRecords => {
  const lite = entries.map(({ categories: _c, profile: _p, ...rest }) => rest);
  const versions = new Set(lite.map((e) => e.version));
  const registry = [...lite, ...(index?.registry ?? []).filter((e) => !versions.has(e.version))]
    // Versions are UTC timestamps (YYYYMMDD-HHMMSS): newest first, as the registry's keys sort.
    .sort((a, b) => (a.version < b.version ? 1 : a.version > b.version ? -1 : 0))
    .slice(0, kept);
  const runs = [run, ...(index?.runs ?? []).filter((r) => r.runId !== run.runId)]
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
    .slice(0, kept);
  return { v: 1, runs, registry };
};
