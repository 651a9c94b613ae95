// The live context of one device (context/<deviceId>.json): its recent hourly history, which the
// forecast API sends to the model endpoint. Kept as per-hour sums and counts so that deliveries
// can be merged in any order; means are derived on read.
import type { Metric } from './metrics.js';

export const HOUR_MS = 3_600_000;

export interface HourlyAccumulator {
  /** Sum of the readings in each hour, from `startHour` on. */
  sum: number[];
  /** Number of readings in each hour (0 = gap). */
  count: number[];
}

export interface DeviceContext {
  deviceId: string;
  /** Last known position. */
  lat: number | null;
  lon: number | null;
  /** Epoch ms of the newest reading merged. */
  lastReadingAt: number;
  /** Epoch ms when the context was last written. */
  updatedAt: number;
  /** Epoch ms of the first hour of every accumulator (hour-aligned, UTC). */
  startHour: number;
  metrics: Partial<Record<Metric, HourlyAccumulator>>;
}

export const floorHour = (epochMs: number): number => Math.floor(epochMs / HOUR_MS) * HOUR_MS;

/** Hourly means of one metric (null for hours without readings), or undefined if never seen. */
export const hourlyMeans = (
  context: DeviceContext,
  metric: Metric,
): { startHour: number; values: Array<number | null> } | undefined => {
  const acc = context.metrics[metric];
  if (!acc) return undefined;
  const values = acc.sum.map((sum, i) => {
    const count = acc.count[i] ?? 0;
    return count > 0 ? sum / count : null;
  });
  return { startHour: context.startHour, values };
};
