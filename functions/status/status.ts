// GET /status core: pipeline health derived from the lake alone, so it answers the same on AWS
// and locally — the fleet's last readings, recent runs, the champion model and its metrics, data
// and model drift, and any canary rollout in flight.
import type { ModelCard } from '../../core/model-card.js';
import type { FleetDevice } from '../common/context-reader.js';
import type { RegistryEntry, RunRecord } from './pipeline-records.js';

export interface StatusInputs {
  now: number;
  /** The fleet's summaries, sorted by device id. */
  fleet: FleetDevice[];
  champion: ModelCard | undefined;
  runs: RunRecord[];
  registry: RegistryEntry[];
}

export type DriftStatus =
  | { computed: false; reason: string }
  | {
      computed: true;
      source: string;
      at: string | null;
      /** Whether the check asked for retraining (drift found, no champion, or model too old). */
      detected: boolean | null;
      reasons: string[];
      /** Every numeric score found, flattened to dotted names (e.g. `psi.pm25`). */
      scores: Record<string, number>;
    };

export interface CanaryStatus {
  state: 'none' | 'in-flight' | 'promoted' | 'rolled-back' | 'rejected';
  version: string | null;
  runId: string | null;
  detail: string | null;
}

/**
 * States of the retrain machine (state-machines/retrain.asl.json) that roll a new model out to
 * the endpoint: a run that has entered one is a rollout in flight. A unit test checks each name
 * is a state of the definition.
 */
export const DEPLOY_STATES: ReadonlySet<string> = new Set([
  'CreateEndpoint',
  'ChooseStrategy',
  'UpdateEndpointCanary',
  'UpdateEndpointLinear',
  'UpdateEndpointAllAtOnce',
  'UpdateEndpointVariants',
  'UpdateABWeights',
  'WaitForEndpoint',
  'CountEndpointPoll',
  'DescribeEndpoint',
  'EndpointReady?',
  'WhatWasDeployed?',
  // An engine canary: the pointer names it beside the champion until the bake's verdict.
  'RecordEngineCanary',
  'BakeEngineCanary',
  'CountCanaryPoll',
  'DescribeCanaryAlarms',
  'CheckCanary',
  'CanaryVerdict?',
  'CanaryWaitTimedOut?',
]);

const flattenScores = (value: unknown, prefix = '', out: Record<string, number> = {}) => {
  if (typeof value === 'number' && Number.isFinite(value)) {
    out[prefix || 'score'] = value;
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      flattenScores(inner, prefix ? `${prefix}.${key}` : key, out);
    }
  }
  return out;
};

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** The newest drift report a run or registry entry carries (written by the drift check). */
export const driftStatus = (runs: RunRecord[], registry: RegistryEntry[]): DriftStatus => {
  const sources: Array<{ name: string; at: unknown; drift: unknown }> = [
    ...runs.map((r) => ({
      name: r.runId,
      at: r.finishedAt ?? r.startedAt ?? null,
      drift: r.drift,
    })),
    ...registry.map((e) => ({ name: `model ${e.version}`, at: e.deployedAt, drift: e.drift })),
  ];
  for (const source of sources) {
    const drift = asRecord(source.drift);
    if (!drift) continue;
    const detected = [drift.detected, drift.drifted, drift.driftDetected, drift.train].find(
      (v) => typeof v === 'boolean',
    ) as boolean | undefined;
    return {
      computed: true,
      source: source.name,
      at: typeof source.at === 'string' ? source.at : null,
      detected: detected ?? null,
      reasons: Array.isArray(drift.reasons) ? drift.reasons.map(String) : [],
      scores: flattenScores({ ...drift, profile: undefined }),
    };
  }
  return { computed: false, reason: 'not computed yet' };
};

const outcomeOf = (run: RunRecord): string =>
  [run.outcome, asRecord(run.canary)?.state, asRecord(run.deployment)?.outcome]
    .filter((v): v is string => typeof v === 'string')
    .join(' ')
    .toLowerCase();

/** The canary rollout as the newest run records tell it (runs that skipped or failed early are
 * passed over: they rolled nothing out). */
export const canaryStatus = (runs: RunRecord[]): CanaryStatus => {
  for (const run of runs) {
    const explicit = asRecord(run.canary);
    const version =
      run.version ?? (typeof explicit?.version === 'string' ? explicit.version : null);
    const base = { version: version ?? null, runId: run.runId };
    const outcome = outcomeOf(run);
    const cause = typeof run.cause === 'string' ? run.cause : null;
    if (run.status === 'RUNNING') {
      if (run.states.some((s) => DEPLOY_STATES.has(s)) || explicit) {
        return { state: 'in-flight', ...base, detail: run.states.at(-1) ?? null };
      }
      continue; // still preparing or training: no rollout yet
    }
    if (/roll/.test(outcome)) return { state: 'rolled-back', ...base, detail: cause };
    if (/reject/.test(outcome)) return { state: 'rejected', ...base, detail: cause };
    if (/promot/.test(outcome) || (run.status === 'SUCCEEDED' && run.version)) {
      return { state: 'promoted', ...base, detail: null };
    }
  }
  return { state: 'none', version: null, runId: null, detail: null };
};

/** Bounds on what /status lists, so its size does not grow with the fleet. */
export const LAST_READINGS_SHOWN = 100;
export const DEVICE_IDS_SHOWN = 1000;

export const buildStatus = (inputs: StatusInputs) => {
  const { now, fleet, champion, runs, registry } = inputs;
  const known = (at: number) => Number.isFinite(at) && at > 0;
  // The most recent readers only: the whole fleet is GET /devices' job, page by page.
  const lastReadings = [...fleet]
    .sort((a, b) => b.lastReadingAt - a.lastReadingAt)
    .slice(0, LAST_READINGS_SHOWN)
    .map((c) => ({
      deviceId: c.deviceId,
      lastReadingAt: known(c.lastReadingAt) ? new Date(c.lastReadingAt).toISOString() : null,
      ageSeconds: known(c.lastReadingAt)
        ? Math.max(0, Math.round((now - c.lastReadingAt) / 1000))
        : null,
    }));
  const championEntry = champion && registry.find((e) => e.version === champion.version);
  return {
    generatedAt: new Date(now).toISOString(),
    deviceCount: fleet.length,
    /** Device ids, sorted; the first DEVICE_IDS_SHOWN of a larger fleet. */
    devices: fleet.slice(0, DEVICE_IDS_SHOWN).map((c) => c.deviceId),
    lastReadingAt: lastReadings[0]?.lastReadingAt ?? null,
    lastReadings,
    champion: champion
      ? {
          version: champion.version,
          variant: champion.variant,
          deployedAt: champion.deployedAt,
          runId: champion.runId,
          trainingJobName: champion.trainingJobName,
          devices: champion.categories.devices.length,
          metrics: { ...(championEntry?.metrics ?? {}), ...champion.metrics },
        }
      : null,
    /** Kept for clients of the first API version: the champion's identity only. */
    model: champion
      ? {
          version: champion.version,
          variant: champion.variant,
          deployedAt: champion.deployedAt,
          runId: champion.runId,
        }
      : null,
    canary: canaryStatus(runs),
    drift: driftStatus(runs, registry),
    lastRun: runs[0] ?? null,
    runs,
    registry: registry.map((e) => ({
      version: e.version,
      deployedAt: e.deployedAt ?? e.decidedAt ?? e.createdAt ?? null,
      metrics: e.metrics ?? {},
      outcome: typeof e.outcome === 'string' ? e.outcome : null,
    })),
  };
};

export type Status = ReturnType<typeof buildStatus>;
