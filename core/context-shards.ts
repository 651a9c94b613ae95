// The hot path's layout: recent hourly history kept in a fixed number of shard objects, so that
// what one Firehose delivery costs grows with the shards it touches, not with the devices in it.
//
//   page     context/pages/<shard>/<hour>.json   one hour of every device of a shard: per-metric
//            sums and counts, position, and the identities merged (seq runs, or ts) — the truth,
//            written by update-context with compare-and-swap, once per shard and delivery
//   history  context/history/<historyShard>.json  the complete hours (< `through`) of a few
//            devices, folded from pages once an hour (or when a late page changes)
//   summary  context/summary/<shard>.json         last reading, position and latest means of every
//            device of a shard: what GET /devices and /status read, never the pages one by one
//
// A device's context = its history entry + the live pages (hours ≥ `through`). A page replaces
// its hour in history (it holds the whole hour), so folding a page twice changes nothing.
import { type DeviceContext, floorHour, HOUR_MS } from './device-context.js';
import { METRICS, type Metric } from './metrics.js';
import type { Reading } from './telemetry.js';

export interface ContextLayout {
  /** Page shards: objects update-context writes per delivery (a stage param). */
  shards: number;
  /** History shards: a multiple of `shards`, so each history shard belongs to one page shard. */
  historyShards: number;
  /** Hours of history kept per device, ending at its newest reading's hour. */
  contextHours: number;
}

/** FNV-1a (32 bit) of a device id: stable across runtimes and releases. */
export const hashDeviceId = (deviceId: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    hash ^= deviceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
};

export const pageShardOf = (deviceId: string, layout: ContextLayout): number =>
  hashDeviceId(deviceId) % layout.shards;

export const historyShardOf = (deviceId: string, layout: ContextLayout): number =>
  hashDeviceId(deviceId) % layout.historyShards;

/** The history shards whose devices live in page shard `shard` (h ≡ shard mod shards). */
export const historyShardsOfPageShard = (shard: number, layout: ContextLayout): number[] => {
  const out: number[] = [];
  for (let h = shard; h < layout.historyShards; h += layout.shards) out.push(h);
  return out;
};

// ---------------------------------------------------------------------------------- pages

/** One device in one hour. */
export interface PageEntry {
  /** Newest reading time in this hour. */
  at: number;
  /** Position of the newest reading that had one, and its time. */
  lat: number | null;
  lon: number | null;
  posAt: number | null;
  sum: Partial<Record<Metric, number>>;
  count: Partial<Record<Metric, number>>;
  /** Sequence numbers merged, as runs: [start, length, start, length, …], sorted. */
  seq: number[];
  /** Times of the readings without a sequence number, sorted. */
  ts: number[];
}

export interface ContextPage {
  v: 1;
  hour: number;
  updatedAt: number;
  devices: Record<string, PageEntry>;
}

const hasSeq = (runs: readonly number[], seq: number): boolean => {
  // Runs are few (one per contiguous stretch): a linear scan beats anything cleverer.
  for (let i = 0; i < runs.length; i += 2) {
    const start = runs[i] ?? 0;
    if (seq >= start && seq < start + (runs[i + 1] ?? 0)) return true;
  }
  return false;
};

/** Adds `seq` (not yet present) to sorted runs, joining neighbours. */
export const addSeq = (runs: readonly number[], seq: number): number[] => {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < runs.length; i += 2) pairs.push([runs[i] ?? 0, runs[i + 1] ?? 0]);
  pairs.push([seq, 1]);
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, length] of pairs) {
    const last = merged[merged.length - 1];
    if (last && last[0] + last[1] >= start) {
      last[1] = Math.max(last[1], start + length - last[0]);
    } else {
      merged.push([start, length]);
    }
  }
  return merged.flat();
};

const insertSorted = (values: readonly number[], value: number): number[] => {
  const out = [...values];
  let i = out.length;
  while (i > 0 && (out[i - 1] ?? 0) > value) i--;
  out.splice(i, 0, value);
  return out;
};

const emptyEntry = (): PageEntry => ({
  at: Number.NEGATIVE_INFINITY,
  lat: null,
  lon: null,
  posAt: null,
  sum: {},
  count: {},
  seq: [],
  ts: [],
});

/**
 * Merges readings of one hour into its page. A reading whose identity (seq, or ts without one)
 * the page already holds is skipped: a redelivered object counts once. Sums and counts add,
 * and the position is the newest positioned reading's, so any order gives the same page.
 */
export const mergeIntoPage = (
  page: ContextPage | undefined,
  hour: number,
  readings: readonly Reading[],
  now: number,
): { page: ContextPage; accepted: number } => {
  const devices: Record<string, PageEntry> = { ...(page?.devices ?? {}) };
  let accepted = 0;
  for (const reading of readings) {
    if (floorHour(reading.ts) !== hour) throw new RangeError(`reading outside hour ${hour}`);
    const old = devices[reading.deviceId] ?? emptyEntry();
    if (reading.seq !== null ? hasSeq(old.seq, reading.seq) : old.ts.includes(reading.ts)) continue;
    const entry: PageEntry = {
      ...old,
      sum: { ...old.sum },
      count: { ...old.count },
      at: Math.max(old.at, reading.ts),
      seq: reading.seq !== null ? addSeq(old.seq, reading.seq) : old.seq,
      ts: reading.seq === null ? insertSorted(old.ts, reading.ts) : old.ts,
    };
    if (reading.lat !== null && reading.lon !== null) {
      if (entry.posAt === null || reading.ts > entry.posAt) {
        entry.lat = reading.lat;
        entry.lon = reading.lon;
        entry.posAt = reading.ts;
      }
    }
    for (const metric of METRICS) {
      const value = reading[metric];
      if (value === null) continue;
      entry.sum[metric] = (entry.sum[metric] ?? 0) + value;
      entry.count[metric] = (entry.count[metric] ?? 0) + 1;
    }
    devices[reading.deviceId] = entry;
    accepted += 1;
  }
  return { page: { v: 1, hour, updatedAt: now, devices }, accepted };
};

// -------------------------------------------------------------------------------- history

/** A device's context in a history shard, with the time of its position. */
export type HistoryEntry = DeviceContext & { posAt: number | null };

export interface ContextHistory {
  v: 1;
  /** Pages of hours before this one are folded in; hours from it on are live pages. */
  through: number;
  devices: Record<string, HistoryEntry>;
}

export const emptyHistory = (): ContextHistory => ({ v: 1, through: 0, devices: {} });

type Cells = Map<number, { sum: number; count: number }>;

/**
 * A device's context with `pages` laid over `base`: each page replaces its hour (pages are the
 * whole truth of their hour), then the window is cut to `contextHours` ending at the newest
 * reading's hour. Undefined when neither holds the device.
 */
export const withPages = (
  base: HistoryEntry | undefined,
  deviceId: string,
  pages: readonly ContextPage[],
  contextHours: number,
): HistoryEntry | undefined => {
  const own = pages.flatMap((p) => {
    const entry = p.devices[deviceId];
    return entry ? [{ hour: p.hour, updatedAt: p.updatedAt, entry }] : [];
  });
  if (own.length === 0) return base;
  const cells = new Map<Metric, Cells>();
  const cellsOf = (metric: Metric): Cells => {
    let c = cells.get(metric);
    if (!c) {
      c = new Map();
      cells.set(metric, c);
    }
    return c;
  };
  if (base) {
    for (const metric of METRICS) {
      const acc = base.metrics[metric];
      if (!acc) continue;
      acc.count.forEach((count, i) => {
        if (count > 0)
          cellsOf(metric).set(base.startHour + i * HOUR_MS, { sum: acc.sum[i] ?? 0, count });
      });
    }
  }
  let lastReadingAt = base?.lastReadingAt ?? Number.NEGATIVE_INFINITY;
  let position = { lat: base?.lat ?? null, lon: base?.lon ?? null, posAt: base?.posAt ?? null };
  let updatedAt = base?.updatedAt ?? 0;
  for (const { hour, updatedAt: pageUpdatedAt, entry } of own) {
    for (const metric of METRICS) {
      const count = entry.count[metric] ?? 0;
      if (count > 0) cellsOf(metric).set(hour, { sum: entry.sum[metric] ?? 0, count });
      else cells.get(metric)?.delete(hour);
    }
    lastReadingAt = Math.max(lastReadingAt, entry.at);
    if (entry.posAt !== null && (position.posAt === null || entry.posAt > position.posAt)) {
      position = { lat: entry.lat, lon: entry.lon, posAt: entry.posAt };
    }
    updatedAt = Math.max(updatedAt, pageUpdatedAt);
  }
  const newestHour = floorHour(lastReadingAt);
  const windowStart = newestHour - (contextHours - 1) * HOUR_MS;
  let startHour = newestHour;
  for (const hourCells of cells.values()) {
    for (const hour of hourCells.keys())
      if (hour >= windowStart && hour < startHour) startHour = hour;
  }
  const length = (newestHour - startHour) / HOUR_MS + 1;
  const metrics: DeviceContext['metrics'] = {};
  for (const metric of METRICS) {
    const hourCells = cells.get(metric);
    if (!hourCells) continue;
    const sum = new Array<number>(length).fill(0);
    const count = new Array<number>(length).fill(0);
    let any = false;
    for (const [hour, cell] of hourCells) {
      if (hour < startHour || hour > newestHour) continue;
      const i = (hour - startHour) / HOUR_MS;
      sum[i] = cell.sum;
      count[i] = cell.count;
      any = true;
    }
    if (any) metrics[metric] = { sum, count };
  }
  return { deviceId, ...position, lastReadingAt, updatedAt, startHour, metrics };
};

/** Folds pages into one history shard: only the devices that belong to it. */
export const foldPages = (
  history: ContextHistory,
  historyShard: number,
  pages: readonly ContextPage[],
  through: number,
  layout: ContextLayout,
): ContextHistory => {
  const devices = { ...history.devices };
  const ids = new Set<string>();
  for (const page of pages) for (const id of Object.keys(page.devices)) ids.add(id);
  for (const id of ids) {
    if (historyShardOf(id, layout) !== historyShard) continue;
    const folded = withPages(devices[id], id, pages, layout.contextHours);
    if (folded) devices[id] = folded;
  }
  return { v: 1, through: Math.max(history.through, through), devices };
};

// -------------------------------------------------------------------------------- summary

/** What the fleet views need of one device. */
export interface SummaryEntry {
  lat: number | null;
  lon: number | null;
  posAt: number | null;
  lastReadingAt: number;
  /** The newest hourly mean of each metric, with its hour. */
  latest: Partial<Record<Metric, { hour: number; value: number }>>;
}

export interface FleetSummaryShard {
  v: 1;
  shard: number;
  /** Hours from this one on are not in the summary yet: overlay the live pages. */
  through: number;
  updatedAt: number;
  devices: Record<string, SummaryEntry>;
}

export const summaryOf = (context: HistoryEntry): SummaryEntry => {
  const latest: SummaryEntry['latest'] = {};
  for (const metric of METRICS) {
    const acc = context.metrics[metric];
    if (!acc) continue;
    for (let i = acc.count.length - 1; i >= 0; i--) {
      const count = acc.count[i] ?? 0;
      if (count > 0) {
        latest[metric] = {
          hour: context.startHour + i * HOUR_MS,
          value: (acc.sum[i] ?? 0) / count,
        };
        break;
      }
    }
  }
  return {
    lat: context.lat,
    lon: context.lon,
    posAt: context.posAt,
    lastReadingAt: context.lastReadingAt,
    latest,
  };
};

/** A summary entry with a (live) page's facts laid over it: newer facts win. */
export const overlayPage = (
  base: SummaryEntry | undefined,
  hour: number,
  entry: PageEntry,
): SummaryEntry => {
  const out: SummaryEntry = base
    ? { ...base, latest: { ...base.latest } }
    : { lat: null, lon: null, posAt: null, lastReadingAt: entry.at, latest: {} };
  out.lastReadingAt = Math.max(out.lastReadingAt, entry.at);
  if (entry.posAt !== null && (out.posAt === null || entry.posAt > out.posAt)) {
    out.lat = entry.lat;
    out.lon = entry.lon;
    out.posAt = entry.posAt;
  }
  for (const metric of METRICS) {
    const count = entry.count[metric] ?? 0;
    const current = out.latest[metric];
    if (count > 0 && (!current || current.hour <= hour)) {
      out.latest[metric] = { hour, value: (entry.sum[metric] ?? 0) / count };
    }
  }
  return out;
};

/** Readings grouped by page shard, then by hour. */
export const groupByShardAndHour = (
  readings: Iterable<Reading>,
  layout: ContextLayout,
): Map<number, Map<number, Reading[]>> => {
  const out = new Map<number, Map<number, Reading[]>>();
  for (const reading of readings) {
    const shard = pageShardOf(reading.deviceId, layout);
    let hours = out.get(shard);
    if (!hours) {
      hours = new Map();
      out.set(shard, hours);
    }
    const hour = floorHour(reading.ts);
    const list = hours.get(hour) ?? [];
    list.push(reading);
    hours.set(hour, list);
  }
  return out;
};
