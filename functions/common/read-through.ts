// One value read at most once per `ttlMs`, concurrent callers sharing the read in flight (a
// wall of dashboards costs one read of the lake). lru-cache's fetch gives the single-flight; a
// failed read is not kept, the next caller tries again.
import { LRUCache } from 'lru-cache';

export const readThrough = <T extends object>(
  read: () => Promise<T>,
  ttlMs: number,
  now: () => number,
): (() => Promise<T>) => {
  const cache = new LRUCache<'value', T>({
    max: 1,
    ttl: ttlMs,
    // The caller's clock (tests move it); resolution 0: no timer-cached "now".
    perf: { now },
    ttlResolution: 0,
    fetchMethod: () => read(),
  });
  return async () => (await cache.fetch('value')) as T;
};
