// The serving pointer (models/serving.json) read once with its ETag: what a run decides on and the
// exact object a later conditional copy (CopySourceIfMatch) must still find.
import { ModelCard, SERVING_CARD_KEY } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

export interface ServingPointer {
  card: ModelCard;
  /** The object's ETag as S3 returns it (quoted); null where the store has no versioned read. */
  etag: string | null;
}

export const readServingPointer = async (
  store: ObjectStore,
): Promise<ServingPointer | undefined> => {
  if (!store.getVersioned) {
    const bytes = await store.get(SERVING_CARD_KEY);
    return bytes ? { card: ModelCard.parse(JSON.parse(decodeText(bytes))), etag: null } : undefined;
  }
  const found = await store.getVersioned(SERVING_CARD_KEY);
  return found
    ? { card: ModelCard.parse(JSON.parse(decodeText(found.body))), etag: found.etag }
    : undefined;
};
