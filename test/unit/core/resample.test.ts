import { describe, expect, it } from 'vitest';
import { addToGrid, createHourlyGrid, gridMeans, trimGaps } from '../../../core/resample.js';

const H = 3_600_000;

describe('hourly grid', () => {
  it('averages readings per hour and leaves gaps as null', () => {
    // Prepare
    const grid = createHourlyGrid(0, 3);

    // Act
    const inside = [addToGrid(grid, 10, 2), addToGrid(grid, H - 1, 4), addToGrid(grid, 2 * H, 9)];
    const outside = addToGrid(grid, 3 * H, 1);

    // Assess
    expect(inside).toEqual([true, true, true]);
    expect(outside).toBe(false);
    expect(gridMeans(grid)).toEqual([3, null, 9]);
  });

  it('trims leading and trailing gaps and reports the offset', () => {
    // Act
    const trimmed = trimGaps([null, null, 1, null, 2, null]);

    // Assess
    expect(trimmed).toEqual({ offset: 2, values: [1, null, 2] });
    expect(trimGaps([null, null])).toEqual({ offset: 2, values: [] });
  });
});
