// The per-device layout update-context wrote before the sharded hot path (context/<deviceId>.json:
// one GET + one conditional PUT per device per delivery), kept here verbatim so bench:context
// measures both layouts in the same run.
import { type DeviceContext, floorHour, HOUR_MS } from '../core/device-context.js';
import { METRICS, type Metric } from '../core/metrics.js';
import type { ObjectStore } from '../core/ports.js';
import type { Reading } from '../core/telemetry.js';
import { decodeText } from '../core/text.js';

export const legacyContextKey = (deviceId: string): string => `context/${deviceId}.json`;

export interface LegacyDeps {
  store: ObjectStore;
  contextHours: number;
  maxAttempts?: number;
}

/** What context/<deviceId>.json holds: the context plus the readings already merged. */
export type StoredContext = DeviceContext & {
  /** Identity ("s<seq>" or "t<ts>") → reading time, for readings inside the window. */
  merged?: Record<string, number>;
};

const identity = (reading: Reading): string =>
  reading.seq === null ? `t${reading.ts}` : `s${reading.seq}`;

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

const parseContext = (bytes: Uint8Array): StoredContext =>
  JSON.parse(decodeText(bytes)) as StoredContext;

/**
 * Read, merge, write for one device. With compare-and-swap: retried from a fresh read while
 * another writer keeps winning. Without (a store that cannot), a plain read and write.
 */
export const updateDeviceLegacy = async (
  deviceId: string,
  readings: readonly Reading[],
  deps: LegacyDeps,
  now: number,
): Promise<void> => {
  const { store } = deps;
  const key = legacyContextKey(deviceId);
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
  throw new Error(`context of ${deviceId} kept changing under ${attempts} attempts`);
};
