// Reads the fleet from the lake: one context/<deviceId>.json per device (written by
// update-context). Shared by GET /devices and GET /status, so both derive the same facts from
// the same objects on AWS and locally.
import type { DeviceContext } from '../../core/device-context.js';
import { CONTEXT_PREFIX } from '../../core/lake.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

/** Parallel reads, bounded: a large fleet must not open thousands of sockets at once. */
const READ_CONCURRENCY = 16;

export const deviceIdOfContextKey = (key: string): string =>
  key.slice(CONTEXT_PREFIX.length).replace(/\.json$/, '');

const mapLimit = async <T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
};

/** Every device context in the lake, sorted by device id. Unreadable objects are skipped. */
export const readFleet = async (store: ObjectStore): Promise<DeviceContext[]> => {
  const keys = (await store.list(CONTEXT_PREFIX)).filter((k) => k.endsWith('.json'));
  const contexts = await mapLimit(keys, READ_CONCURRENCY, async (key) => {
    const bytes = await store.get(key);
    if (!bytes) return undefined; // deleted between list and get
    try {
      return JSON.parse(decodeText(bytes)) as DeviceContext;
    } catch {
      return undefined; // a half-written object must not take the whole fleet view down
    }
  });
  return contexts
    .filter((c): c is DeviceContext => c !== undefined && typeof c.deviceId === 'string')
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
};
