// A canary left in the serving pointer by a run that ended mid-bake (its execution stopped or
// timed out; locally, its process killed): once the pointer is copied back from that run's own
// backup, that run and its canary's registry entry are recorded as rolled back, with why.
import {
  RegistryEntry,
  type RunSummary,
  registryKey,
  runSummaryKey,
} from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';
import { putJson, type RecordRunResult, updateRecentRecords } from './record-run.js';
import type { LeftoverCanary } from './schema.js';

export const leftoverCanaryReasons = (leftover: LeftoverCanary): string[] => [
  `run ${leftover.runId} ended mid-bake`,
  `the serving pointer is back on champion ${leftover.championVersion ?? 'unknown'} (that run's backup); the champion serves every device`,
];

export const recordLeftoverCanary = async (
  leftover: LeftoverCanary,
  deps: { store: ObjectStore; now: () => number },
): Promise<RecordRunResult> => {
  const now = new Date(deps.now()).toISOString();
  const reasons = leftoverCanaryReasons(leftover);
  const bytes = await deps.store.get(registryKey(leftover.version));
  const found = bytes ? RegistryEntry.safeParse(JSON.parse(decodeText(bytes))) : undefined;
  const entry: RegistryEntry | undefined = found?.success
    ? { ...found.data, outcome: 'rolled-back', reason: reasons.join('; '), decidedAt: now }
    : undefined;
  if (entry) await putJson(deps.store, registryKey(leftover.version), entry);
  // The run's summary (its record said RUNNING: it never wrote one), started when its model was.
  const summary: RunSummary = {
    runId: leftover.runId,
    startedAt: entry?.createdAt ?? now,
    finishedAt: now,
    outcome: 'rolled-back',
    reasons,
    version: leftover.version,
    drift: null,
    evaluation: entry?.evaluation ?? null,
    error: null,
  };
  await putJson(deps.store, runSummaryKey(leftover.runId), summary);
  await updateRecentRecords(deps.store, summary, entry ? [entry] : []);
  return { outcome: 'rolled-back', version: leftover.version, variant: null, reasons };
};
