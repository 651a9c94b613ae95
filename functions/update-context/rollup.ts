// Rolls one page shard up: the pages that stopped being live (and any late page that changed)
// are folded into the shard's history objects, each by compare-and-swap, and the shard's fleet
// summary is rebuilt from them. A page replaces its hour, so folding twice changes nothing; a
// history object is read before the pages it folds, so a page written meanwhile is either seen
// or makes the write that would hide it lose its compare-and-swap.
import {
  type ContextHistory,
  type ContextLayout,
  type ContextPage,
  emptyHistory,
  type FleetSummaryShard,
  foldPages,
  historyShardOf,
  historyShardsOfPageShard,
  type SummaryEntry,
  summaryOf,
} from '../../core/context-shards.js';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import { SmogcastError } from '../../core/errors.js';
import {
  contextHistoryKey,
  contextPageKey,
  contextPagePrefix,
  fleetSummaryKey,
  hourOfContextPageKey,
} from '../../core/lake.js';
import { mapLimit } from '../../core/map-limit.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText } from '../../core/text.js';

export interface RollupDeps {
  store: ObjectStore;
  layout: ContextLayout;
  maxAttempts?: number;
}

export class HistoryConflictError extends SmogcastError {
  constructor(key: string, attempts: number) {
    super(`${key} kept changing under ${attempts} attempts`);
    this.name = 'HistoryConflictError';
  }
}

export const readJson = async <T>(store: ObjectStore, key: string): Promise<T | undefined> => {
  const bytes = await store.get(key);
  return bytes ? (JSON.parse(decodeText(bytes)) as T) : undefined;
};

const CONCURRENCY = 8;

interface Loaded {
  history: ContextHistory;
  etag: string | null;
}

const loadHistory = async (store: ObjectStore, key: string): Promise<Loaded> => {
  if (store.getVersioned) {
    const current = await store.getVersioned(key);
    return current
      ? { history: JSON.parse(decodeText(current.body)) as ContextHistory, etag: current.etag }
      : { history: emptyHistory(), etag: null };
  }
  return { history: (await readJson<ContextHistory>(store, key)) ?? emptyHistory(), etag: null };
};

const saveHistory = async (
  store: ObjectStore,
  key: string,
  history: ContextHistory,
  etag: string | null,
): Promise<boolean> => {
  const body = JSON.stringify(history);
  if (!store.putIfMatch) {
    await store.put(key, body, 'application/json');
    return true;
  }
  return (await store.putIfMatch(key, body, etag, 'application/json')) !== false;
};

/** Hours a history shard must fold: the ones that stopped being live, and the late ones. */
const hoursToFold = (
  history: ContextHistory,
  present: ReadonlySet<number>,
  late: ReadonlySet<number>,
  through: number,
): number[] =>
  [...present]
    .filter((h) => (h >= history.through && h < through) || late.has(h))
    .sort((a, b) => a - b);

/** What a rollup folds: the late hours, and the devices they changed (undefined: all). */
export interface RollupScope {
  late: ReadonlySet<number>;
  devices?: ReadonlySet<string>;
}

/** The shard's fleet summary with `histories`' devices replaced, by compare-and-swap. */
const updateSummary = async (
  store: ObjectStore,
  shard: number,
  histories: readonly ContextHistory[],
  full: boolean,
  now: number,
  attempts: number,
): Promise<FleetSummaryShard> => {
  const key = fleetSummaryKey(shard);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = store.getVersioned
      ? await store.getVersioned(key)
      : await store.get(key).then((body) => (body ? { body, etag: '' } : undefined));
    const old = current ? (JSON.parse(decodeText(current.body)) as FleetSummaryShard) : undefined;
    const devices: Record<string, SummaryEntry> = full ? {} : { ...(old?.devices ?? {}) };
    let through = full || !old ? Number.POSITIVE_INFINITY : old.through;
    for (const history of histories) {
      through = Math.min(through, history.through);
      for (const [id, entry] of Object.entries(history.devices)) devices[id] = summaryOf(entry);
    }
    const summary: FleetSummaryShard = {
      v: 1,
      shard,
      through: Number.isFinite(through) ? through : 0,
      updatedAt: now,
      devices,
    };
    const body = JSON.stringify(summary);
    if (!store.putIfMatch) {
      await store.put(key, body, 'application/json');
      return summary;
    }
    if (await store.putIfMatch(key, body, current?.etag ?? null, 'application/json'))
      return summary;
  }
  throw new HistoryConflictError(key, attempts);
};

/**
 * Rolls page shard `shard` up at `now`. A full rollup (the hourly advance, or a shard without a
 * current summary) folds into every history shard of the page shard and rebuilds the summary; a
 * late rollup of an advanced shard touches only the history shards of the devices it changed.
 */
export const rollupShard = async (
  shard: number,
  scope: RollupScope,
  deps: RollupDeps,
  now: number,
): Promise<void> => {
  const { store, layout } = deps;
  const attempts = deps.maxAttempts ?? 10;
  const through = floorHour(now) - HOUR_MS;
  const summary = await readJson<FleetSummaryShard>(store, fleetSummaryKey(shard));
  const full = scope.devices === undefined || summary === undefined || summary.through < through;
  const historyShards = full
    ? historyShardsOfPageShard(shard, layout)
    : [...new Set([...(scope.devices ?? [])].map((id) => historyShardOf(id, layout)))].sort(
        (a, b) => a - b,
      );
  const keys = historyShards.map(contextHistoryKey);
  // Histories first, pages after: what a page gains after this read is seen or loses the CAS.
  const loaded = await mapLimit(keys, CONCURRENCY, (key) => loadHistory(store, key));
  const pageKeys = await store.list(contextPagePrefix(shard));
  const present = new Set<number>();
  for (const key of pageKeys) {
    const hour = hourOfContextPageKey(key);
    if (hour !== undefined) present.add(hour);
  }
  const pageCache = new Map<number, ContextPage | undefined>();
  const readPages = async (hours: number[], fresh: boolean) =>
    (
      await mapLimit(hours, CONCURRENCY, async (hour) => {
        if (!fresh && pageCache.has(hour)) return pageCache.get(hour);
        const page = await readJson<ContextPage>(store, contextPageKey(shard, hour));
        pageCache.set(hour, page);
        return page;
      })
    ).filter((p): p is ContextPage => p !== undefined);

  const folded: ContextHistory[] = new Array(keys.length);
  await mapLimit(historyShards, CONCURRENCY, async (historyShard) => {
    const i = historyShards.indexOf(historyShard);
    const key = keys[i] as string;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const current = loaded[i] as Loaded;
      const pages = await readPages(
        hoursToFold(current.history, present, scope.late, through),
        attempt > 1,
      );
      const next = foldPages(current.history, historyShard, pages, through, layout);
      if (await saveHistory(store, key, next, current.etag)) {
        folded[i] = next;
        return;
      }
      if (attempt > 1) await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      loaded[i] = await loadHistory(store, key); // another rollup won: fold onto its result
    }
    throw new HistoryConflictError(key, attempts);
  });

  const written = await updateSummary(store, shard, folded, full, now, attempts);
  if (!full) return;
  // Pages older than any window and already folded everywhere are no longer needed.
  const expired = floorHour(now) - (layout.contextHours + 1) * HOUR_MS;
  const stale = pageKeys.filter((key) => {
    const hour = hourOfContextPageKey(key);
    return hour !== undefined && hour < expired && hour < written.through;
  });
  await mapLimit(stale, CONCURRENCY, (key) => store.delete(key));
};
