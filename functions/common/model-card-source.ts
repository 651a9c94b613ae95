// Reads the serving model card from the lake, cached for a short time so a burst of forecast
// requests costs one object read, while a new deployment is seen within `ttlMs`.
import { ModelCard, SERVING_CARD_KEY } from './model-card.js';
import type { ObjectStore } from './ports.js';
import { decodeText } from './text.js';

export type ModelCardSource = (() => Promise<ModelCard | undefined>) & {
  /** Forget the cached card (the local runtime calls this right after a deployment). */
  invalidate(): void;
};

export const cachedModelCard = (
  store: ObjectStore,
  ttlMs = 30_000,
  now = Date.now,
): ModelCardSource => {
  let cached: { at: number; card: ModelCard | undefined } | undefined;
  const read = async (): Promise<ModelCard | undefined> => {
    if (cached && now() - cached.at < ttlMs) return cached.card;
    const bytes = await store.get(SERVING_CARD_KEY);
    const card = bytes ? ModelCard.parse(JSON.parse(decodeText(bytes))) : undefined;
    cached = { at: now(), card };
    return card;
  };
  return Object.assign(read, {
    invalidate: () => {
      cached = undefined;
    },
  });
};
