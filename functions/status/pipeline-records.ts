// Lenient readers of what the pipeline leaves in the lake: run records (runs/), the model
// registry (models/registry/) and the serving card. Lenient on purpose: the status page must keep
// working while the retraining side grows new fields (drift scores, canary outcomes, …).
import { z } from 'zod';
import { RUNS_PREFIX } from '../../core/lake.js';
import { ModelCard, RECENT_RECORDS_KEY, SERVING_CARD_KEY } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { readJsonOrUndefined } from '../common/read-json.js';

/** Text fields a record may or may not carry yet; either way the record is kept. */
const optionalText = <K extends string>(...names: K[]) =>
  Object.fromEntries(names.map((name) => [name, z.string().optional()])) as Record<
    K,
    z.ZodOptional<z.ZodString>
  >;

/** A run as the local runner records it (status) or as the record step summarises it (outcome). */
export const RunRecord = z.looseObject({
  runId: z.string(),
  ...optionalText('status', 'outcome', 'startedAt', 'finishedAt', 'cause'),
  states: z.array(z.string()).default([]),
  version: z.string().nullish(),
  error: z.unknown().optional(),
});
export type RunRecord = z.infer<typeof RunRecord>;

export const RegistryEntry = z.looseObject({
  version: z.string(),
  ...optionalText('deployedAt', 'decidedAt', 'createdAt', 'outcome'),
  metrics: z.record(z.string(), z.number()).optional(),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

/** The newest `count` objects under `prefix` (keys sort by time), parsed, newest first. */
const newest = async <T>(
  store: ObjectStore,
  prefix: string,
  count: number,
  schema: z.ZodType<T>,
): Promise<T[]> => {
  const keys = (await store.list(prefix)).filter((k) => k.endsWith('.json')).slice(-count);
  const values = await Promise.all(keys.reverse().map((k) => readJsonOrUndefined(store, k)));
  return values.flatMap((v) => {
    const parsed = schema.safeParse(v);
    return parsed.success ? [parsed.data] : [];
  });
};

const parsedAll = <T>(values: unknown[], schema: z.ZodType<T>): T[] =>
  values.flatMap((v) => {
    const parsed = schema.safeParse(v);
    return parsed.success ? [parsed.data] : [];
  });

/**
 * The newest runs and registry entries: from the index record-run maintains (one GET), or —
 * for a lake written before the index existed — by listing runs/ and models/registry/.
 */
export const recentRecords = async (
  store: ObjectStore,
  count: number,
): Promise<{ runs: RunRecord[]; registry: RegistryEntry[] }> => {
  const index = (await readJsonOrUndefined(store, RECENT_RECORDS_KEY)) as
    | { runs?: unknown; registry?: unknown }
    | undefined;
  if (index && Array.isArray(index.runs) && Array.isArray(index.registry)) {
    return {
      runs: parsedAll(index.runs.slice(0, count), RunRecord),
      registry: parsedAll(index.registry.slice(0, count), RegistryEntry),
    };
  }
  const [runs, registry] = await Promise.all([
    newest(store, RUNS_PREFIX, count, RunRecord),
    newest(store, 'models/registry/', count, RegistryEntry),
  ]);
  return { runs, registry };
};

export const servingCard = async (store: ObjectStore): Promise<ModelCard | undefined> => {
  const parsed = ModelCard.safeParse(await readJsonOrUndefined(store, SERVING_CARD_KEY));
  return parsed.success ? parsed.data : undefined;
};
