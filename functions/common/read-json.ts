// A JSON object of the lake read leniently: missing or unreadable is `undefined` (the readers
// that use it show "nothing yet" rather than fail a request on one bad object). A gzip object
// (raw/ since Firehose compresses it) is gunzipped first.
import type { ObjectStore } from '../../core/ports.js';
import { rawObjectText } from '../../core/raw-object.js';

export const readJsonOrUndefined = async <T = unknown>(
  store: ObjectStore,
  key: string,
): Promise<T | undefined> => {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(rawObjectText(bytes)) as T;
  } catch {
    return undefined;
  }
};
