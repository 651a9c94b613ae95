// Reads the hot path (core/context-shards.ts) for the API: one device's context (its history
// shard + the live pages of its page shard) for GET /forecast and /devices?deviceId=, and the
// fleet (every shard's summary + live pages) for GET /devices and /status. Objects are reused for
// a short TTL, concurrent callers sharing one read, so a burst costs one GET per object.
import { LRUCache } from 'lru-cache';
import {
  type ContextHistory,
  type ContextLayout,
  type ContextPage,
  type FleetSummaryShard,
  type HistoryEntry,
  historyShardOf,
  overlayPage,
  pageShardOf,
  type SummaryEntry,
  withPages,
} from '../../core/context-shards.js';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import {
  contextHistoryKey,
  contextPageKey,
  contextPagePrefix,
  fleetSummaryKey,
  hourOfContextPageKey,
} from '../../core/lake.js';
import { mapLimit } from '../../core/map-limit.js';
import type { ObjectStore } from '../../core/ports.js';
import { MAX_CLOCK_SKEW_MS } from '../../core/telemetry.js';
import { decodeText } from '../../core/text.js';

export interface FleetDevice extends SummaryEntry {
  deviceId: string;
}

export interface ContextReader {
  /** The device's hourly context, or undefined for a device the hot path does not know. */
  deviceContext(deviceId: string): Promise<HistoryEntry | undefined>;
  /** Every device the summaries and live pages know, sorted by id. */
  fleet(): Promise<FleetDevice[]>;
}

export interface ContextReaderOptions {
  /** How long one object read is reused (default 5 s). */
  ttlMs?: number;
  now: () => number;
}

/** Gaps longer than this between a history and now are found by listing, not by GETs. */
const MAX_PROBED_HOURS = 3;
const CONCURRENCY = 16;

/**
 * The newest hour a page can hold at `now`. A reading is accepted only if stamped at most
 * MAX_CLOCK_SKEW_MS after its arrival (core/telemetry.ts; receivedAt is the rule's clock, before
 * any page write), so the next hour's page cannot exist until now is that close to it: before,
 * the current hour is the last one worth a GET.
 */
export const newestLiveHour = (now: number): number => {
  const next = floorHour(now) + HOUR_MS;
  return now + MAX_CLOCK_SKEW_MS >= next ? next : next - HOUR_MS;
};

export const createContextReader = (
  store: ObjectStore,
  layout: ContextLayout,
  options: ContextReaderOptions,
): ContextReader => {
  const { now } = options;
  const objects = new LRUCache<string, { value: unknown }>({
    max: 4_096,
    ttl: options.ttlMs ?? 5_000,
    perf: { now },
    ttlResolution: 0,
    fetchMethod: async (key) => {
      const bytes = await store.get(key);
      if (!bytes) return { value: undefined };
      try {
        return { value: JSON.parse(decodeText(bytes)) };
      } catch {
        return { value: undefined }; // a half-written object must not take a view down
      }
    },
  });
  const read = async <T>(key: string): Promise<T | undefined> =>
    (await objects.fetch(key))?.value as T | undefined;

  /**
   * The live pages of a shard: hours from `through` (the history holds every hour before it) to
   * the newest hour a reading can be in yet (the next one, once clocks running ahead can reach it).
   */
  const livePages = async (
    shard: number,
    through: number,
    probeOnly: boolean,
  ): Promise<ContextPage[]> => {
    const at = now();
    const next = floorHour(at) + HOUR_MS;
    const from = Math.max(through, next - MAX_PROBED_HOURS * HOUR_MS);
    const last = newestLiveHour(at);
    let hours: number[] = [];
    if (through >= from || probeOnly) {
      for (let h = from; h <= last; h += HOUR_MS) hours.push(h);
    } else {
      // A history far behind (or none yet): list what exists rather than probe every hour.
      hours = (await store.list(contextPagePrefix(shard)))
        .map(hourOfContextPageKey)
        .filter((h): h is number => h !== undefined && h >= through);
    }
    const pages = await mapLimit(hours, CONCURRENCY, (h) =>
      read<ContextPage>(contextPageKey(shard, h)),
    );
    return pages.filter((p): p is ContextPage => p !== undefined);
  };

  return {
    async deviceContext(deviceId) {
      const history = await read<ContextHistory>(
        contextHistoryKey(historyShardOf(deviceId, layout)),
      );
      const pages = await livePages(pageShardOf(deviceId, layout), history?.through ?? 0, false);
      return withPages(history?.devices[deviceId], deviceId, pages, layout.contextHours);
    },

    async fleet() {
      const shards = Array.from({ length: layout.shards }, (_, i) => i);
      const views = await mapLimit(shards, CONCURRENCY, async (shard) => {
        const summary = await read<FleetSummaryShard>(fleetSummaryKey(shard));
        // No summary yet: a shard whose first rollup has not run; its live pages still count.
        const through = summary?.through ?? floorHour(now()) - HOUR_MS;
        const pages = await livePages(shard, through, true);
        const devices = new Map<string, SummaryEntry>(Object.entries(summary?.devices ?? {}));
        for (const page of pages.sort((a, b) => a.hour - b.hour)) {
          for (const [id, entry] of Object.entries(page.devices)) {
            devices.set(id, overlayPage(devices.get(id), page.hour, entry));
          }
        }
        return devices;
      });
      const fleet: FleetDevice[] = [];
      for (const devices of views) {
        for (const [deviceId, entry] of devices) fleet.push({ deviceId, ...entry });
      }
      return fleet.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    },
  };
};
