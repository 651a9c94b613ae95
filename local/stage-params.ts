// The deployed stages' settings, read from serverless.yml's `params`, so the local twin runs
// with the values AWS runs with instead of a second copy of them that can drift apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ALGORITHM_CHOICES } from '../core/engine-artifact.js';
import { ConfigError } from '../core/errors.js';
import { DriftPolicy } from '../functions/check-drift/schema.js';
import { EvaluateInput } from '../functions/evaluate/schema.js';

const SERVERLESS_YML = path.join(import.meta.dirname, '..', 'serverless.yml');

/** A stage's params as written (strings or numbers): `default` overlaid with the stage's own. */
export type StageParams = Record<string, unknown>;

/**
 * `params.default` of a serverless.yml text, overlaid with `params.<stage>` when a stage is
 * named — as the framework resolves `${param:…}`. CloudFormation tags (`!Sub`, …) elsewhere in
 * the file are left unresolved: only the params are read.
 */
export const stageParamsFrom = (yamlText: string, stage?: string): StageParams => {
  const doc = parseDocument(yamlText, { logLevel: 'silent' });
  if (doc.errors.length > 0) throw doc.errors[0];
  const params = (doc.toJS({ maxAliasCount: -1 }) as { params?: Record<string, StageParams> })
    .params;
  if (!params?.default) throw new ConfigError('serverless.yml has no params.default');
  return { ...params.default, ...(stage ? params[stage] : undefined) };
};

/** The params of the repository's serverless.yml (`default` unless a stage is named). */
export const loadStageParams = (stage?: string): StageParams =>
  stageParamsFrom(readFileSync(SERVERLESS_YML, 'utf8'), stage);

// serverless.yml writes numbers as strings (they travel into DefinitionSubstitutions as text).
const count = z.coerce.number().int().nonnegative();

/**
 * The retraining params of a stage, typed (names as in serverless.yml). The policy values are
 * checked with the very schemas check-drift and evaluate parse them with, so a value those
 * steps would refuse mid-run (e.g. `maxModelAgeHours: 0`) is refused when the stage is read.
 */
export const RetrainParams = z.object({
  algorithm: z.enum(ALGORITHM_CHOICES).default('deepar'),
  deploymentStrategy: z.enum(['canary', 'linear', 'all-at-once', 'ab']),
  linearStepPercent: count.min(1).max(100),
  bakeSeconds: count,
  terminationWaitSeconds: count,
  /** Share of devices an engine canary serves (README "Choosing the algorithm"). */
  engineCanaryPercent: count.min(1).max(99).default(10),
  canaryLossTolerance: z.coerce.number().min(-1).max(10).default(0.1),
  ...DriftPolicy.shape,
  promotionMargin: EvaluateInput.shape.promotionMargin,
});
export type RetrainParams = z.infer<typeof RetrainParams>;

/** The hot path's delivery queue (update-context's SQS event source), typed. */
export const ContextQueueParams = z.object({
  contextBatchSize: count.min(1).max(10_000),
  contextBatchWindowSeconds: count.max(300),
});
export type ContextQueueParams = z.infer<typeof ContextQueueParams>;

/** The default stage's context queue settings: what the local backlog batches with. */
export const contextQueueParams = (stage?: string): ContextQueueParams =>
  ContextQueueParams.parse(loadStageParams(stage));
