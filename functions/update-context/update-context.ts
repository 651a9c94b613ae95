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
  groupByShardAndHour,
  mergeIntoPage,
} from '../../core/context-shards.js';
import { parseRawLine } from '../../core/curated/rows.js';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import { SmogcastError } from '../../core/errors.js';
import { contextPageKey, RAW_PREFIX } from '../../core/lake.js';
import type { ObjectStore } from '../../core/ports.js';
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
  /** Runs once an invocation advanced the hour: the realised-accuracy scoring step. */
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
    const parsed = parseRawLine(line, now);
    if (!parsed.ok) continue;
    const list = byDevice.get(parsed.row.deviceId) ?? [];
    list.push(parsed.row);
    byDevice.set(parsed.row.deviceId, list);
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

export const updateContext = async (
  event: S3EventLike,
  deps: UpdateContextDeps,
): Promise<UpdateContextResult> => {
  const now = deps.now();
  const byDevice = new Map<string, Reading[]>();
  for (const record of event.Records) {
    const key = decodeS3Key(record.s3.object.key);
    if (!key.startsWith(RAW_PREFIX)) continue;
    const bytes = await deps.store.get(key);
    if (!bytes) continue;
    for (const [deviceId, readings] of readingsOfObject(decodeText(bytes), now)) {
      const list = byDevice.get(deviceId);
      if (list) list.push(...readings);
      else byDevice.set(deviceId, readings);
    }
  }
  let count = 0;
  for (const readings of byDevice.values()) count += readings.length;

  // Live pages: the current and the previous hour; older pages are folded into history.
  const liveFrom = floorHour(now) - HOUR_MS;
  const late = new Map<number, { hours: Set<number>; devices: Set<string> }>();
  const advance: number[] = [];
  let pages = 0;
  const grouped = groupByShardAndHour([...byDevice.values()].flat(), deps.layout);
  for (const shard of [...grouped.keys()].sort((a, b) => a - b)) {
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
      pages += 1;
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
    if (created && !late.has(shard)) advance.push(shard);
  }

  let rollups = 0;
  for (const [shard, scope] of late) {
    await rollupShard(shard, { late: scope.hours, devices: scope.devices }, deps, now);
    rollups += 1;
  }
  for (const shard of advance.slice(0, deps.rollupBudget ?? 4)) {
    await rollupShard(shard, { late: new Set() }, deps, now);
    rollups += 1;
  }
  if (advance.length > 0) await deps.afterHourRollup?.();
  return { devices: [...byDevice.keys()].sort(), readings: count, pages, rollups };
};
