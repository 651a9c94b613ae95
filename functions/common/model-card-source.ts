// Reads the serving model card from the lake, cached for a short time so a burst of forecast
// requests costs one object read, while a new deployment is seen within `ttlMs`. Concurrent
// reads after expiry share one request (a burst at expiry must not fan out to S3).
import { ModelCard, SERVING_CARD_KEY } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

export type ModelCardSource = (() => Promise<ModelCard | undefined>) & {
  /** Forget the cached card (the local runtime calls this right after a deployment). */
  invalidate(): void;
};

export const cachedModelCard = (
  store: ObjectStore,
  ttlMs = 30_000,
  now = Date.now,
): ModelCardSource => {
  let cached: { at: number; value: Promise<ModelCard | undefined> } | undefined;
  let generation = 0;
  const load = async (): Promise<ModelCard | undefined> => {
    const bytes = await store.get(SERVING_CARD_KEY);
    return bytes ? ModelCard.parse(JSON.parse(decodeText(bytes))) : undefined;
  };
  const read = (): Promise<ModelCard | undefined> => {
    if (cached && now() - cached.at < ttlMs) return cached.value;
    const mine = ++generation;
    const value = load();
    cached = { at: now(), value };
    // A failed read must not be remembered: the next request tries again.
    value.catch(() => {
      if (generation === mine) cached = undefined;
    });
    return value;
  };
  return Object.assign(read, {
    invalidate: () => {
      generation += 1;
      cached = undefined;
    },
  });
};
