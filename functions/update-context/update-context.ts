// Keeps context/<deviceId>.json, the rolling hourly history the forecast API sends to the model,
// up to date as Firehose delivers raw objects. Per-hour sums and counts make merges commutative,
// so deliveries may arrive in any order; the identities of the readings merged (within the
// window) make them idempotent, so a redelivered object or reading is not counted twice.
// Concurrent invocations for one device (two deliveries landing together) are reconciled by
// compare-and-swap on the object's ETag: a writer that lost re-reads, re-merges and retries.

import { parseRawLine } from '../../core/curated/rows.js';
import { type DeviceContext, floorHour, HOUR_MS } from '../../core/device-context.js';
import { SmogcastError } from '../../core/errors.js';
import { contextKey, RAW_PREFIX } from '../../core/lake.js';
import { METRICS, type Metric } from '../../core/metrics.js';
import type { ObjectStore } from '../../core/ports.js';
import type { Reading } from '../../core/telemetry.js';
import { decodeText } from '../../core/text.js';

/** The part of an S3 event notification this step reads (aws-lambda's S3Event fits). */
export interface S3EventLike {
  Records: Array<{ s3: { object: { key: string } } }>;
}

export interface UpdateContextDeps {
  store: ObjectStore;
  contextHours: number;
  now: () => number;
  /** Compare-and-swap attempts per device before giving up (default 10). */
  maxAttempts?: number;
}

export class ContextConflictError extends SmogcastError {
  constructor(deviceId: string, attempts: number) {
    super(`context of ${deviceId} kept changing under ${attempts} attempts`);
    this.name = 'ContextConflictError';
  }
}

/** What context/<deviceId>.json holds: the context plus the readings already merged. */
export type StoredContext = DeviceContext & {
  /** Identity ("s<seq>" or "t<ts>") → reading time, for readings inside the window. */
  merged?: Record<string, number>;
};

const identity = (reading: Reading): string =>
  reading.seq === null ? `t${reading.ts}` : `s${reading.seq}`;

export interface UpdateContextResult {
  devices: string[];
  readings: number;
}

/** S3 event keys are form-encoded: `+` is a space, the rest %XX. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

type HourTotals = Map<number, { sum: number; count: number }>;

const addTo = (totals: HourTotals, hour: number, sum: number, count: number): void => {
  const cell = totals.get(hour);
  if (cell) {
    cell.sum += sum;
    cell.count += count;
  } else {
    totals.set(hour, { sum, count });
  }
};

/** Position rule: the newest reading's position; a known one never yields to "unknown". */
const mergePosition = (
  base: { lat: number | null; lon: number | null; lastReadingAt: number },
  reading: Reading,
): { lat: number | null; lon: number | null } => {
  const has = reading.lat !== null && reading.lon !== null;
  if (!has) return base;
  if (reading.ts > base.lastReadingAt || base.lat === null || base.lon === null) {
    return { lat: reading.lat, lon: reading.lon };
  }
  return base;
};

/**
 * Merges readings of one device into its context, keeping the last `contextHours` hours
 * ending at the newest reading's hour.
 */
export const mergeReadings = (
  context: StoredContext | undefined,
  incoming: readonly Reading[],
  contextHours: number,
  now: number,
): StoredContext => {
  const deviceId = context?.deviceId ?? incoming[0]?.deviceId;
  if (deviceId === undefined) throw new RangeError('mergeReadings needs a context or readings');
  // Readings merged before (a redelivery) or twice in this batch count once.
  const merged: Record<string, number> = { ...(context?.merged ?? {}) };
  const readings: Reading[] = [];
  for (const reading of incoming) {
    const id = identity(reading);
    if (id in merged) continue;
    merged[id] = reading.ts;
    readings.push(reading);
  }

  let lastReadingAt = context?.lastReadingAt ?? Number.NEGATIVE_INFINITY;
  let position = { lat: context?.lat ?? null, lon: context?.lon ?? null };
  // Oldest first, so the newest reading decides the position whatever the batch order.
  for (const reading of [...readings].sort((a, b) => a.ts - b.ts)) {
    position = mergePosition({ ...position, lastReadingAt }, reading);
    lastReadingAt = Math.max(lastReadingAt, reading.ts);
  }

  const totals = new Map<Metric, HourTotals>();
  const totalsOf = (metric: Metric): HourTotals => {
    let t = totals.get(metric);
    if (!t) {
      t = new Map();
      totals.set(metric, t);
    }
    return t;
  };
  if (context) {
    for (const metric of METRICS) {
      const acc = context.metrics[metric];
      if (!acc) continue;
      acc.count.forEach((count, i) => {
        if (count > 0)
          addTo(totalsOf(metric), context.startHour + i * HOUR_MS, acc.sum[i] ?? 0, count);
      });
    }
  }
  for (const reading of readings) {
    for (const metric of METRICS) {
      const value = reading[metric];
      if (value !== null) addTo(totalsOf(metric), floorHour(reading.ts), value, 1);
    }
  }

  const newestHour = floorHour(lastReadingAt);
  const windowStart = newestHour - (contextHours - 1) * HOUR_MS;
  let startHour = newestHour;
  for (const hourTotals of totals.values()) {
    for (const hour of hourTotals.keys())
      if (hour >= windowStart && hour < startHour) startHour = hour;
  }
  const length = (newestHour - startHour) / HOUR_MS + 1;
  const metrics: DeviceContext['metrics'] = {};
  for (const metric of METRICS) {
    const hourTotals = totals.get(metric);
    if (!hourTotals) continue;
    const sum = new Array<number>(length).fill(0);
    const count = new Array<number>(length).fill(0);
    let any = false;
    for (const [hour, cell] of hourTotals) {
      if (hour < startHour || hour > newestHour) continue;
      const i = (hour - startHour) / HOUR_MS;
      sum[i] = cell.sum;
      count[i] = cell.count;
      any = true;
    }
    if (any) metrics[metric] = { sum, count };
  }
  // Identities older than the window can no longer change a kept hour: forget them.
  for (const [id, ts] of Object.entries(merged)) if (ts < startHour) delete merged[id];
  return { deviceId, ...position, lastReadingAt, updatedAt: now, startHour, metrics, merged };
};

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

const parseContext = (bytes: Uint8Array): StoredContext =>
  JSON.parse(decodeText(bytes)) as StoredContext;

/**
 * Read, merge, write for one device. With compare-and-swap: retried from a fresh read while
 * another writer keeps winning. Without (a store that cannot), a plain read and write.
 */
const updateDevice = async (
  deviceId: string,
  readings: readonly Reading[],
  deps: UpdateContextDeps,
  now: number,
): Promise<void> => {
  const { store } = deps;
  const key = contextKey(deviceId);
  if (!store.getVersioned || !store.putIfMatch) {
    const bytes = await store.get(key);
    const merged = mergeReadings(
      bytes ? parseContext(bytes) : undefined,
      readings,
      deps.contextHours,
      now,
    );
    await store.put(key, JSON.stringify(merged), 'application/json');
    return;
  }
  const attempts = deps.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await store.getVersioned(key);
    const merged = mergeReadings(
      current ? parseContext(current.body) : undefined,
      readings,
      deps.contextHours,
      now,
    );
    const body = JSON.stringify(merged);
    if (await store.putIfMatch(key, body, current?.etag ?? null, 'application/json')) return;
    // Lost the race: back off a little (jittered) so a hot device does not livelock.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
  }
  throw new ContextConflictError(deviceId, attempts);
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
      byDevice.set(deviceId, [...(byDevice.get(deviceId) ?? []), ...readings]);
    }
  }
  let count = 0;
  const devices = [...byDevice.keys()].sort();
  for (const deviceId of devices) {
    const readings = byDevice.get(deviceId) ?? [];
    count += readings.length;
    await updateDevice(deviceId, readings, deps, now);
  }
  return { devices, readings: count };
};
