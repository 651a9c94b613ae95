// The model-quality API contract, once: the response shapes of GET /accuracy (one device's
// realised accuracy and the forecasts that were served for it, or the fleet's summary per model
// version per day), GET /runs (each retrain run's states, drift scores and A/B weights) and
// GET /models (the registry as a timeline). Handlers build these; the dashboard parses them.
import { z } from 'zod';

/** The quantile levels every realised and backtest score is computed on. */
export const ACCURACY_LEVELS = ['0.1', '0.5', '0.9'] as const;

/** Realised scores of a set of forecast points: wQL per level, their mean, 80% coverage. */
export const AccuracyScores = z.object({
  /** Forecast points scored (hours with both a forecast and a realised hourly mean). */
  points: z.number().int().nonnegative(),
  /** wQuantileLoss per level (2 Σ|pinball_q| / Σ|y|); null when every actual was 0. */
  wql: z.object({
    p10: z.number().nullable(),
    p50: z.number().nullable(),
    p90: z.number().nullable(),
  }),
  /** Mean of the three: DeepAR's test:mean_wQuantileLoss. */
  meanWql: z.number().nullable(),
  /** Share of points whose realised value fell inside [p10, p90]. */
  coverage80: z.number().nullable(),
});
export type AccuracyScores = z.infer<typeof AccuracyScores>;

/** One day (UTC, by the hour the forecast was served for) of one model version's forecasts. */
export const AccuracyDay = AccuracyScores.extend({
  date: z.string(), // YYYY-MM-DD
  version: z.string(),
  /** The endpoint variant that answered (A/B tests serve two). */
  variant: z.string(),
  /** Devices whose forecasts were scored that day (1 in a device's own answer). */
  devices: z.number().int().nonnegative(),
});
export type AccuracyDay = z.infer<typeof AccuracyDay>;

/** One forecast the API served (a sampled one), beside what then happened, hour by hour. */
export const ServedForecast = z.object({
  version: z.string(),
  variant: z.string(),
  /** First forecast hour (ISO-8601 UTC); index i is start + i hours. */
  start: z.string(),
  p10: z.array(z.number().nullable()),
  p50: z.array(z.number().nullable()),
  p90: z.array(z.number().nullable()),
  /** The realised hourly means; null for an hour without readings. */
  actual: z.array(z.number().nullable()),
});
export type ServedForecast = z.infer<typeof ServedForecast>;

/** A rolling-origin backtest window of one model version on the newest held-out days. */
export const BacktestWindow = ServedForecast.omit({ variant: true }).extend({
  /** champion, challenger, or the A/B variant name the version served as. */
  role: z.string(),
});
export type BacktestWindow = z.infer<typeof BacktestWindow>;

/** A model version's backtest, summarised over every device and origin it was run on. */
export const BacktestSummary = AccuracyScores.extend({
  version: z.string(),
  role: z.string(),
  /** The retrain run whose held-out days were used. */
  runId: z.string(),
  evaluatedAt: z.string(),
  devices: z.number().int().nonnegative(),
  /** Forecast origins per series (device and metric). */
  origins: z.number().int().nonnegative(),
});
export type BacktestSummary = z.infer<typeof BacktestSummary>;

/** GET /accuracy?deviceId=&metric=&days= */
export const DeviceAccuracyResponse = z.object({
  deviceId: z.string(),
  metric: z.string(),
  days: z.number().int(),
  /** First and last day covered (YYYY-MM-DD, UTC). */
  from: z.string(),
  to: z.string(),
  /** Per day and model version, oldest first. */
  daily: z.array(AccuracyDay),
  /** The sampled served forecasts of the window, oldest first, for the bands-over-actuals view. */
  served: z.array(ServedForecast),
  /** Backtest windows of this device and metric, newest model versions first. */
  backtests: z.array(BacktestWindow),
  generatedAt: z.string(),
});
export type DeviceAccuracyResponse = z.infer<typeof DeviceAccuracyResponse>;

/** GET /accuracy?days=[&metric=] — the fleet, per model version per day. */
export const FleetAccuracyResponse = z.object({
  /** The metric filtered on, or null for all metrics together. */
  metric: z.string().nullable(),
  days: z.number().int(),
  from: z.string(),
  to: z.string(),
  daily: z.array(AccuracyDay),
  /** One per model version evaluated, newest first. */
  backtests: z.array(BacktestSummary),
  generatedAt: z.string(),
});
export type FleetAccuracyResponse = z.infer<typeof FleetAccuracyResponse>;

/** One state of a run as entered (a state entered twice, e.g. a wait loop, appears twice). */
export const RunStateSpan = z.object({
  name: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  seconds: z.number().nullable(),
});
export type RunStateSpan = z.infer<typeof RunStateSpan>;

export const RunView = z.object({
  runId: z.string(),
  /** RUNNING, SUCCEEDED, FAILED, INTERRUPTED, or null when only the summary is known. */
  status: z.string().nullable(),
  /** promoted, rejected, skipped, rolled-back, failed, ab-testing; null while running. */
  outcome: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  version: z.string().nullable(),
  reasons: z.array(z.string()),
  states: z.array(RunStateSpan),
  /** PSI per metric the drift check computed (empty when it computed none). */
  psi: z.record(z.string(), z.number()),
  psiThreshold: z.number().nullable(),
  /** The A/B round this run scored, or null without an A/B test. */
  ab: z
    .object({
      action: z.string(),
      challengerWeight: z.number(),
      championWeight: z.number(),
      winner: z.string().nullable(),
    })
    .nullable(),
  evaluation: z
    .object({
      promote: z.boolean(),
      reason: z.string(),
      challengerWql: z.number().nullable(),
      championWql: z.number().nullable(),
    })
    .nullable(),
});
export type RunView = z.infer<typeof RunView>;

/** GET /runs?limit=&cursor= — newest first; nextCursor pages to older runs. */
export const RunsResponse = z.object({
  runs: z.array(RunView),
  nextCursor: z.string().nullable(),
  generatedAt: z.string(),
});
export type RunsResponse = z.infer<typeof RunsResponse>;

export const RegistryEventKind = z.enum([
  'trained',
  'promoted',
  'rejected',
  'rolled-back',
  'ab-testing',
  /** An engine canary began serving a share of devices beside the champion (its bake under way). */
  'canary',
  'failed',
]);
export type RegistryEventKind = z.infer<typeof RegistryEventKind>;

export const RegistryEvent = z.object({
  at: z.string(),
  version: z.string(),
  kind: RegistryEventKind,
  reason: z.string(),
  runId: z.string().nullable(),
});
export type RegistryEvent = z.infer<typeof RegistryEvent>;

export const ModelView = z.object({
  version: z.string(),
  runId: z.string().nullable(),
  createdAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  outcome: z.string().nullable(),
  reason: z.string(),
  metrics: z.record(z.string(), z.number()),
});
export type ModelView = z.infer<typeof ModelView>;

/** GET /models — the registry, newest first, and its events as a timeline, oldest first. */
export const ModelsResponse = z.object({
  champion: z.object({ version: z.string(), variant: z.string() }).nullable(),
  /** The A/B test in flight, if any: weights as the serving card has them. */
  abTest: z
    .object({ challengerVersion: z.string(), challengerWeight: z.number(), rounds: z.number() })
    .nullable(),
  models: z.array(ModelView),
  events: z.array(RegistryEvent),
  generatedAt: z.string(),
});
export type ModelsResponse = z.infer<typeof ModelsResponse>;
