// A JSON object of the lake read leniently: missing or unreadable is `undefined` (the readers
// that use it show "nothing yet" rather than fail a request on one bad object).
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

export const readJsonOrUndefined = async <T = unknown>(
  store: ObjectStore,
  key: string,
): Promise<T | undefined> => {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(decodeText(bytes)) as T;
  } catch {
    return undefined;
  }
};
