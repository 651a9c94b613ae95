// Keeps the hot path (core/context-shards.ts) up to date as Firehose delivers raw objects: the
// readings of a delivery are merged into one page per (shard, hour) they fall in — a bounded
// number of objects whatever the fleet size — each by compare-and-swap on its ETag (a writer that
// lost re-reads, re-merges and retries). Pages hold the identities merged, so a redelivered
// object or reading counts once, and sums and counts, so deliveries merge in any order.
// Then shards whose pages need folding are rolled up (rollup.ts): late pages always, the hourly
// advance within a per-invocation budget, so one invocation stays bounded at any fleet size.

import {
  type ContextLayout,
  type ContextPage,
  type FleetSummaryShard,
  groupByShardAndHour,
  mergeIntoPage,
} from '../../core/context-shards.js';
import { parseRawMessage, type RawLineResult } from '../../core/curated/rows.js';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import { SmogcastError } from '../../core/errors.js';
import { contextPageKey, fleetSummaryKey, RAW_PREFIX } from '../../core/lake.js';
import { mapLimit } from '../../core/map-limit.js';
import type { ObjectStore } from '../../core/ports.js';
import { rawObjectText } from '../../core/raw-object.js';
import type { Reading } from '../../core/telemetry.js';
import { decodeText } from '../../core/text.js';
import { readJson, rollupShard } from './rollup.js';

/** The part of an S3 event notification this step reads (aws-lambda's S3Event fits). */
export interface S3EventLike {
  Records: Array<{ s3: { object: { key: string } } }>;
}

export interface UpdateContextDeps {
  store: ObjectStore;
  layout: ContextLayout;
  now: () => number;
  /** Compare-and-swap attempts per object before giving up (default 10). */
  maxAttempts?: number;
  /** Shards rolled up per invocation only to advance the hour (late pages always are). */
  rollupBudget?: number;
  /** Raw bytes of a batch merged into pages at once (default 16 MiB). */
  mergeBudgetBytes?: number;
  /** Runs once an invocation rolled a shard up: the realised-accuracy scoring step. */
  afterHourRollup?: () => Promise<unknown>;
}

export class ContextConflictError extends SmogcastError {
  constructor(key: string, attempts: number) {
    super(`${key} kept changing under ${attempts} attempts`);
    this.name = 'ContextConflictError';
  }
}

export interface UpdateContextResult {
  devices: string[];
  readings: number;
  /** Page objects written, and shards rolled up. */
  pages: number;
  rollups: number;
}

/** S3 event keys are form-encoded: `+` is a space, the rest %XX. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

/** Readings of one raw object, by device. Bad lines are skipped: the ETL quarantines them. */
export const readingsOfObject = (text: string, now: number): Map<string, Reading[]> => {
  const byDevice = new Map<string, Reading[]>();
  for (const line of text.split('\n')) {
    if (line.trim().length === 0) continue;
    // The ETL's own row logic: the context sees exactly the readings the lake will hold.
    const parsed = parseRawMessage(line, now);
    // A batch line holds many readings: each counts (or is skipped) on its own.
    const results: readonly RawLineResult[] = Array.isArray(parsed) ? parsed : [parsed];
    for (const result of results) {
      if (!result.ok) continue;
      const list = byDevice.get(result.row.deviceId) ?? [];
      list.push(result.row);
      byDevice.set(result.row.deviceId, list);
    }
  }
  return byDevice;
};

const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));

/**
 * Read, merge, write one page. With compare-and-swap: retried from a fresh read while another
 * writer keeps winning; `created` tells whether this write created the page. Without (a store
 * that cannot), a plain read and write.
 */
const updatePage = async (
  key: string,
  hour: number,
  readings: readonly Reading[],
  deps: UpdateContextDeps,
  now: number,
): Promise<{ created: boolean }> => {
  const { store } = deps;
  if (!store.getVersioned || !store.putIfMatch) {
    const current = await readJson<ContextPage>(store, key);
    const { page } = mergeIntoPage(current, hour, readings, now);
    await store.put(key, JSON.stringify(page), 'application/json');
    return { created: current === undefined };
  }
  const attempts = deps.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await store.getVersioned(key);
    const old = current ? (JSON.parse(decodeText(current.body)) as ContextPage) : undefined;
    const { page, accepted } = mergeIntoPage(old, hour, readings, now);
    if (old && accepted === 0) return { created: false }; // a redelivery: nothing new
    const body = JSON.stringify(page);
    if (await store.putIfMatch(key, body, current?.etag ?? null, 'application/json')) {
      return { created: current === undefined };
    }
    await backoff(attempt); // lost the race: jittered, so a hot shard does not livelock
  }
  throw new ContextConflictError(key, attempts);
};

/** Late hours per shard, and the devices they changed: folded once per invocation. */
type LateScopes = Map<number, { hours: Set<number>; devices: Set<string> }>;

/** Page shards written at once. */
const PAGE_CONCURRENCY = 8;

/** Merges readings into their pages; notes late pages and shards that started an hour. */
const applyReadings = async (
  readings: readonly Reading[],
  deps: UpdateContextDeps,
  now: number,
  late: LateScopes,
  advance: Set<number>,
  touched: Set<number>,
): Promise<number> => {
  // Live pages: the current and the previous hour; older pages are folded into history.
  const liveFrom = floorHour(now) - HOUR_MS;
  const grouped = groupByShardAndHour(readings, deps.layout);
  const shards = [...grouped.keys()].sort((a, b) => a - b);
  for (const shard of shards) touched.add(shard);
  // Shards are independent objects: written in parallel (bounded), each shard's hours in order.
  const written = await mapLimit(shards, PAGE_CONCURRENCY, async (shard) => {
    const hours = grouped.get(shard) ?? new Map<number, Reading[]>();
    let created = false;
    for (const hour of [...hours.keys()].sort((a, b) => a - b)) {
      const result = await updatePage(
        contextPageKey(shard, hour),
        hour,
        hours.get(hour) ?? [],
        deps,
        now,
      );
      created ||= result.created;
      // A page older than the live ones: the history that folded it must fold it again.
      if (hour < liveFrom) {
        const scope = late.get(shard) ?? { hours: new Set<number>(), devices: new Set<string>() };
        scope.hours.add(hour);
        for (const reading of hours.get(hour) ?? []) scope.devices.add(reading.deviceId);
        late.set(shard, scope);
      }
    }
    // The first page of a new hour: time to fold the hour that stopped being live.
    if (created) advance.add(shard);
    return hours.size;
  });
  const pages = written.reduce((sum, n) => sum + n, 0);
  return pages;
};

/** Raw bytes of a batch merged into pages at once (default 16 MiB): bounds memory. */
const MERGE_BUDGET_BYTES = 16 * 1024 * 1024;

/** Per store: the hour each page shard's summary is known to have reached (warm instances). */
const knownCurrent = new WeakMap<ObjectStore, Map<number, number>>();

const markCurrent = (store: ObjectStore, shard: number, now: number): void => {
  const known = knownCurrent.get(store) ?? new Map<number, number>();
  known.set(shard, floorHour(now) - HOUR_MS);
  knownCurrent.set(store, known);
};

/**
 * The shards whose hour should advance now, in order: the ones that started an hour in this
 * invocation, then any other shard it touched whose summary is behind — one an earlier
 * invocation's budget left out, which would otherwise never advance (its new-hour page exists
 * already). A summary seen current is remembered for the rest of the hour.
 */
const shardsToAdvance = async (
  store: ObjectStore,
  now: number,
  late: LateScopes,
  advance: ReadonlySet<number>,
  touched: ReadonlySet<number>,
): Promise<number[]> => {
  const through = floorHour(now) - HOUR_MS;
  const known = knownCurrent.get(store);
  const started = [...advance].filter((shard) => !late.has(shard)).sort((a, b) => a - b);
  const others = [...touched]
    .filter((shard) => !late.has(shard) && !advance.has(shard))
    .filter((shard) => (known?.get(shard) ?? Number.NEGATIVE_INFINITY) < through)
    .sort((a, b) => a - b);
  const behind = await mapLimit(others, PAGE_CONCURRENCY, async (shard) => {
    const summary = await readJson<FleetSummaryShard>(store, fleetSummaryKey(shard));
    if (summary && summary.through >= through) {
      markCurrent(store, shard, now);
      return undefined;
    }
    return shard;
  });
  return [...started, ...behind.filter((shard): shard is number => shard !== undefined)];
};

/**
 * The records of one invocation (one S3 event, or a queue's batch of them). The batch's readings
 * are merged into their pages together, a page written once per invocation however many of the
 * batch's objects touch it (objects are read one at a time and merged whenever `mergeBudgetBytes`
 * of them are pending, so memory stays bounded); the rollups the batch needs run once at the
 * end, so a backlog of N deliveries folds history once, not N times.
 */
export const updateContext = async (
  event: S3EventLike,
  deps: UpdateContextDeps,
): Promise<UpdateContextResult> => {
  const now = deps.now();
  const late: LateScopes = new Map();
  const advance = new Set<number>();
  const touched = new Set<number>();
  const devices = new Set<string>();
  const budget = deps.mergeBudgetBytes ?? MERGE_BUDGET_BYTES;
  let pending: Reading[] = [];
  let pendingBytes = 0;
  let readings = 0;
  let pages = 0;
  const merge = async () => {
    pages += await applyReadings(pending, deps, now, late, advance, touched);
    pending = [];
    pendingBytes = 0;
  };
  for (const record of event.Records) {
    const key = decodeS3Key(record.s3.object.key);
    if (!key.startsWith(RAW_PREFIX)) continue;
    const bytes = await deps.store.get(key);
    if (!bytes) continue;
    for (const list of readingsOfObject(rawObjectText(bytes), now).values()) {
      for (const reading of list) {
        devices.add(reading.deviceId);
        pending.push(reading);
      }
      readings += list.length;
    }
    pendingBytes += bytes.byteLength;
    if (pendingBytes >= budget) await merge();
  }
  if (pending.length > 0) await merge();

  let rollups = 0;
  for (const [shard, scope] of [...late].sort(([a], [b]) => a - b)) {
    await rollupShard(shard, { late: scope.hours, devices: scope.devices }, deps, now);
    rollups += 1;
  }
  const toAdvance = await shardsToAdvance(deps.store, now, late, advance, touched);
  const advanced = toAdvance.slice(0, deps.rollupBudget ?? 4);
  for (const shard of advanced) {
    await rollupShard(shard, { late: new Set() }, deps, now);
    markCurrent(deps.store, shard, now);
    rollups += 1;
  }
  // Readings folded into history (late or by the hour): forecasts they complete can be scored.
  if (rollups > 0) await deps.afterHourRollup?.();
  return { devices: [...devices].sort(), readings, pages, rollups };
};
