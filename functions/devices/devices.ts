// GET /devices core: the fleet as a client needs it — each device's last reading time, position,
// the metrics it reports and their latest hourly means; and, for one device, its recent hourly
// history per metric (what the dashboard draws before the forecast).
import { type DeviceContext, HOUR_MS, hourlyMeans } from '../../core/device-context.js';
import { METRICS, type Metric } from '../../core/metrics.js';
import type { FleetDevice } from '../common/context-reader.js';
import { notFound } from '../common/http.js';

export interface DeviceSummary {
  deviceId: string;
  lat: number | null;
  lon: number | null;
  lastReadingAt: string | null;
  /** Metrics with at least one reading in the context window. */
  metrics: Metric[];
  /** The newest hourly mean of each metric, with its hour. */
  latest: Partial<Record<Metric, { hour: string; value: number }>>;
}

export interface DeviceHistory {
  device: DeviceSummary;
  freq: 'H';
  /** First hour of every series (UTC, ISO-8601). */
  start: string;
  hours: number;
  /** Hourly means, null where the device sent nothing. */
  series: Partial<Record<Metric, Array<number | null>>>;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** The client's view of one device, from its summary (last reading, position, latest means). */
export const summarize = (device: FleetDevice): DeviceSummary => {
  const metrics: Metric[] = [];
  const latest: DeviceSummary['latest'] = {};
  for (const metric of METRICS) {
    const last = device.latest[metric];
    if (!last) continue;
    metrics.push(metric);
    latest[metric] = { hour: iso(last.hour), value: last.value };
  }
  return {
    deviceId: device.deviceId,
    lat: device.lat ?? null,
    lon: device.lon ?? null,
    lastReadingAt: Number.isFinite(device.lastReadingAt) ? iso(device.lastReadingAt) : null,
    metrics,
    latest,
  };
};

/** The same view from a device's full context (what /devices?deviceId= reads). */
export const summarizeContext = (context: DeviceContext): DeviceSummary => {
  const latest: FleetDevice['latest'] = {};
  for (const metric of METRICS) {
    const series = hourlyMeans(context, metric);
    if (!series) continue;
    for (let i = series.values.length - 1; i >= 0; i--) {
      const value = series.values[i];
      if (value !== null && value !== undefined) {
        latest[metric] = { hour: series.startHour + i * HOUR_MS, value };
        break;
      }
    }
  }
  return summarize({
    deviceId: context.deviceId,
    lat: context.lat ?? null,
    lon: context.lon ?? null,
    posAt: null,
    lastReadingAt: context.lastReadingAt,
    latest,
  });
};

export interface DevicePageQuery {
  limit: number;
  /** The last device id of the previous page. */
  after?: string | undefined;
  /** Case-insensitive substring of the device id. */
  q?: string | undefined;
}

/** One page of the fleet, sorted by device id, and the cursor of the next one. */
export const listDevices = (fleet: readonly FleetDevice[], page: DevicePageQuery) => {
  const needle = page.q?.toLowerCase();
  const devices: DeviceSummary[] = [];
  let total = 0;
  let more = false;
  for (const device of fleet) {
    if (needle !== undefined && !device.deviceId.toLowerCase().includes(needle)) continue;
    total += 1;
    if (page.after !== undefined && device.deviceId <= page.after) continue;
    if (devices.length === page.limit) {
      more = true;
      continue;
    }
    devices.push(summarize(device));
  }
  const last = devices[devices.length - 1];
  return { devices, total, nextCursor: more && last ? encodeCursor(last.deviceId) : null };
};

export const encodeCursor = (deviceId: string): string =>
  Buffer.from(deviceId, 'utf8').toString('base64url');

/** The last `hours` hours of one device's history, ending with its newest hour. */
export const deviceHistory = (
  context: DeviceContext | undefined,
  deviceId: string,
  hours: number,
  only?: Metric,
): DeviceHistory => {
  if (!context) throw notFound(`unknown device ${deviceId}`);
  const device = summarizeContext(context);
  if (only && !device.metrics.includes(only)) {
    throw notFound(`device ${deviceId} has no ${only} readings`);
  }
  let length = 0;
  for (const metric of METRICS) {
    length = Math.max(length, context.metrics[metric]?.sum.length ?? 0);
  }
  const from = Math.max(0, length - hours);
  const series: DeviceHistory['series'] = {};
  for (const metric of only ? [only] : device.metrics) {
    const values = hourlyMeans(context, metric)?.values ?? [];
    const window = values.slice(from, length);
    // Series shorter than the longest one end early: pad so every series shares `start`.
    while (window.length < length - from) window.push(null);
    series[metric] = window;
  }
  return {
    device,
    freq: 'H',
    start: iso(context.startHour + from * HOUR_MS),
    hours: length - from,
    series,
  };
};
