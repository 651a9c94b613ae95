// GET /models core: the model registry as a timeline — each version trained, then promoted,
// rejected, rolled back, put into an A/B test or baking as an engine canary, with the reason the pipeline recorded — plus
// the champion and any A/B test in flight, from the serving card.
import type {
  ModelsResponse,
  ModelView,
  RegistryEvent,
  RegistryEventKind,
} from '../../core/accuracy.js';
import { MODELS_PREFIX } from '../../core/lake.js';
import { mapLimit } from '../../core/map-limit.js';
import { ModelCard, SERVING_CARD_KEY } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { readJsonOrUndefined } from '../common/read-json.js';

export const REGISTRY_PREFIX = `${MODELS_PREFIX}registry/`;
const READ_CONCURRENCY = 8;

type Json = Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

const DECISIONS: Record<string, RegistryEventKind> = {
  promoted: 'promoted',
  rejected: 'rejected',
  'rolled-back': 'rolled-back',
  'ab-testing': 'ab-testing',
  canary: 'canary',
  failed: 'failed',
};

export const modelView = (entry: Json): ModelView | undefined => {
  const version = text(entry.version);
  if (!version) return undefined;
  const metrics = Object.fromEntries(
    Object.entries((entry.metrics as Json | undefined) ?? {}).filter(
      (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]),
    ),
  );
  return {
    version,
    runId: text(entry.runId),
    createdAt: text(entry.createdAt),
    decidedAt: text(entry.decidedAt),
    outcome: text(entry.outcome),
    reason: text(entry.reason) ?? '',
    metrics,
  };
};

/** A version's events: trained when its run started, then the decision recorded for it. */
export const registryEvents = (models: readonly ModelView[]): RegistryEvent[] =>
  models
    .flatMap((m) => {
      const events: RegistryEvent[] = [];
      if (m.createdAt) {
        events.push({
          at: m.createdAt,
          version: m.version,
          kind: 'trained',
          reason: m.runId ? `trained by ${m.runId}` : 'trained',
          runId: m.runId,
        });
      }
      const kind = m.outcome ? DECISIONS[m.outcome] : undefined;
      const at = m.decidedAt ?? m.createdAt;
      if (kind && at)
        events.push({ at, version: m.version, kind, reason: m.reason, runId: m.runId });
      return events;
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

export const readModels = async (
  store: ObjectStore,
  limit: number,
): Promise<Omit<ModelsResponse, 'generatedAt'>> => {
  const keys = (await store.list(REGISTRY_PREFIX))
    .filter((k) => k.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, limit);
  const [entries, card] = await Promise.all([
    mapLimit(keys, READ_CONCURRENCY, (k) => readJsonOrUndefined(store, k)),
    readJsonOrUndefined(store, SERVING_CARD_KEY),
  ]);
  const models = entries.flatMap((e) => {
    const view = e && typeof e === 'object' ? modelView(e as Json) : undefined;
    return view ? [view] : [];
  });
  const serving = ModelCard.safeParse(card);
  const champion = serving.success
    ? { version: serving.data.version, variant: serving.data.variant }
    : null;
  const ab = serving.success ? serving.data.abTest : undefined;
  return {
    champion,
    abTest: ab
      ? {
          challengerVersion: ab.challenger.version,
          challengerWeight: ab.challengerWeight,
          rounds: ab.rounds,
        }
      : null,
    models,
    events: registryEvents(models),
  };
};
