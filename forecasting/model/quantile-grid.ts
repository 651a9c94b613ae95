// Empirical distributions stored compactly: a sorted sample reduced to GRID_SIZE representative
// points (levels (i + 0.5) / GRID_SIZE), read back at any quantile level.

import { sortedQuantile } from '../../core/stats.js';

export const GRID_SIZE = 100;

export const toGrid = (pool: ArrayLike<number>): number[] => {
  const sorted = Float64Array.from(pool).sort();
  return Array.from({ length: GRID_SIZE }, (_, i) => sortedQuantile(sorted, (i + 0.5) / GRID_SIZE));
};

/** Quantile `level` of a grid; flat beyond its outermost points. */
export const gridQuantile = (grid: readonly number[], level: number): number => {
  const pos = level * grid.length - 0.5;
  if (pos <= 0) return grid[0] ?? 0;
  if (pos >= grid.length - 1) return grid[grid.length - 1] ?? 0;
  const lo = Math.floor(pos);
  const a = grid[lo] ?? 0;
  const b = grid[lo + 1] ?? a;
  return a + (b - a) * (pos - lo);
};
