// Keeps context/<deviceId>.json, the rolling hourly history the forecast API sends to the model,
// up to date as Firehose delivers raw objects. Per-hour sums and counts make merges commutative,
// so deliveries may arrive (and be re-delivered) in any order.
import { type DeviceContext, floorHour, HOUR_MS } from '../common/device-context.js';
import { contextKey, RAW_PREFIX } from '../common/lake.js';
import { METRICS, type Metric } from '../common/metrics.js';
import type { ObjectStore } from '../common/ports.js';
import { deviceIdFromTopic, parseTelemetry, type Reading } from '../common/telemetry.js';
import { decodeText, splitLines } from '../common/text.js';

/** The part of an S3 event notification this step reads (aws-lambda's S3Event fits). */
export interface S3EventLike {
  Records: Array<{ s3: { object: { key: string } } }>;
}

export interface UpdateContextDeps {
  store: ObjectStore;
  contextHours: number;
  now: () => number;
}

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
  context: DeviceContext | undefined,
  readings: readonly Reading[],
  contextHours: number,
  now: number,
): DeviceContext => {
  const deviceId = context?.deviceId ?? readings[0]?.deviceId;
  if (deviceId === undefined) throw new RangeError('mergeReadings needs a context or readings');

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
  return { deviceId, ...position, lastReadingAt, updatedAt: now, startHour, metrics };
};

/** Readings of one raw object, by device. Bad lines are skipped: the ETL quarantines them. */
export const readingsOfObject = (text: string, now: number): Map<string, Reading[]> => {
  const byDevice = new Map<string, Reading[]>();
  for (const line of splitLines(text)) {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof message !== 'object' || message === null) continue;
    const { topic, receivedAt } = message as { topic?: unknown; receivedAt?: unknown };
    const topicDeviceId = typeof topic === 'string' ? deviceIdFromTopic(topic) : undefined;
    const arrivedAt =
      typeof receivedAt === 'number' && Number.isFinite(receivedAt) ? receivedAt : now;
    const parsed = parseTelemetry(message, { topicDeviceId, now: arrivedAt });
    if (!parsed.ok) continue;
    const list = byDevice.get(parsed.reading.deviceId) ?? [];
    list.push(parsed.reading);
    byDevice.set(parsed.reading.deviceId, list);
  }
  return byDevice;
};

const readContext = async (
  store: ObjectStore,
  deviceId: string,
): Promise<DeviceContext | undefined> => {
  const bytes = await store.get(contextKey(deviceId));
  return bytes ? (JSON.parse(decodeText(bytes)) as DeviceContext) : undefined;
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
    const merged = mergeReadings(
      await readContext(deps.store, deviceId),
      readings,
      deps.contextHours,
      now,
    );
    await deps.store.put(contextKey(deviceId), JSON.stringify(merged), 'application/json');
  }
  return { devices, readings: count };
};
