// Hourly resampling shared by the training-data path: readings → per-hour means on a fixed UTC
// grid, gaps as null. DeepAR wants one value per hour, so this is where irregular sensor
// timing becomes a regular series.
import { HOUR_MS } from './device-context.js';

export interface HourlyGrid {
  /** Epoch ms of the first hour (hour-aligned). */
  start: number;
  sum: Float64Array;
  count: Uint32Array;
}

export const createHourlyGrid = (start: number, hours: number): HourlyGrid => ({
  start,
  sum: new Float64Array(hours),
  count: new Uint32Array(hours),
});

/** Adds one reading; returns false (and ignores it) when it falls outside the grid. */
export const addToGrid = (grid: HourlyGrid, ts: number, value: number): boolean => {
  const index = Math.floor((ts - grid.start) / HOUR_MS);
  if (index < 0 || index >= grid.sum.length) return false;
  grid.sum[index] = (grid.sum[index] ?? 0) + value;
  grid.count[index] = (grid.count[index] ?? 0) + 1;
  return true;
};

export const gridMeans = (grid: HourlyGrid): Array<number | null> =>
  Array.from(grid.sum, (sum, i) => {
    const count = grid.count[i] ?? 0;
    return count > 0 ? sum / count : null;
  });

/** The values without leading and trailing gaps, and how many leading gaps were cut. */
export const trimGaps = (
  values: ReadonlyArray<number | null>,
): { offset: number; values: Array<number | null> } => {
  let first = 0;
  while (first < values.length && values[first] === null) first++;
  let last = values.length - 1;
  while (last >= first && values[last] === null) last--;
  return { offset: first, values: values.slice(first, last + 1) };
};
