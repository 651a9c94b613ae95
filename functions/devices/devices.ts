// GET /devices core: the fleet as a client needs it — each device's last reading time, position,
// the metrics it reports and their latest hourly means; and, for one device, its recent hourly
// history per metric (what the dashboard draws before the forecast).
import { type DeviceContext, HOUR_MS, hourlyMeans } from '../../core/device-context.js';
import { METRICS, type Metric } from '../../core/metrics.js';
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

export const summarize = (context: DeviceContext): DeviceSummary => {
  const metrics: Metric[] = [];
  const latest: DeviceSummary['latest'] = {};
  for (const metric of METRICS) {
    const series = hourlyMeans(context, metric);
    if (!series) continue;
    for (let i = series.values.length - 1; i >= 0; i--) {
      const value = series.values[i];
      if (value !== null && value !== undefined) {
        metrics.push(metric);
        latest[metric] = { hour: iso(series.startHour + i * HOUR_MS), value };
        break;
      }
    }
  }
  return {
    deviceId: context.deviceId,
    lat: context.lat ?? null,
    lon: context.lon ?? null,
    lastReadingAt: context.lastReadingAt ? iso(context.lastReadingAt) : null,
    metrics,
    latest,
  };
};

export const listDevices = (fleet: DeviceContext[]) => ({
  devices: fleet.map(summarize),
});

/** The last `hours` hours of one device's history, ending with its newest hour. */
export const deviceHistory = (
  fleet: DeviceContext[],
  deviceId: string,
  hours: number,
  only?: Metric,
): DeviceHistory => {
  const context = fleet.find((c) => c.deviceId === deviceId);
  if (!context) throw notFound(`unknown device ${deviceId}`);
  const device = summarize(context);
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
