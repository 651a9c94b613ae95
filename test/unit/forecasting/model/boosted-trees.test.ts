import { describe, expect, it } from 'vitest';
import {
  binEdges,
  DEFAULT_BOOSTING,
  fitForest,
  isForest,
  predictForest,
} from '../../../../forecasting/model/boosted-trees.js';

/** Rows of two features on a grid in [0, 1)², with target `f`. */
const gridRows = (n: number, f: (a: number, b: number) => number) => {
  const x = new Float64Array(n * n * 2);
  const y = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = i * n + j;
      x[2 * r] = i / n;
      x[2 * r + 1] = j / n;
      y[r] = f(i / n, j / n);
    }
  }
  return { x, y, rows: n * n };
};

const meanSquaredError = (
  forest: ReturnType<typeof fitForest>,
  data: ReturnType<typeof gridRows>,
) => {
  let sum = 0;
  for (let r = 0; r < data.rows; r++) {
    const e = (data.y[r] ?? 0) - predictForest(forest, data.x.subarray(2 * r, 2 * r + 2));
    sum += e * e;
  }
  return sum / data.rows;
};

describe('binEdges', () => {
  it('places distinct edges strictly below the largest value', () => {
    // Prepare: one feature with many ties
    const x = Float64Array.from([0, 0, 0, 0, 1, 1, 2, 2, 3, 3]);
    // Act
    const edges = binEdges(x, 10, 1, 0, 8);
    // Assert
    expect(edges.length).toBeGreaterThan(0);
    expect(new Set(edges).size).toBe(edges.length);
    expect([...edges].sort((a, b) => a - b)).toEqual(edges);
    expect(Math.max(...edges)).toBeLessThan(3);
  });
});

describe('fitForest', () => {
  it('learns an interaction a linear model cannot (a step in a only where b is high)', () => {
    // Prepare
    const data = gridRows(40, (a, b) => (a > 0.5 && b > 0.5 ? 2 : 0));
    const variance = (() => {
      let mean = 0;
      for (const v of data.y) mean += v;
      mean /= data.rows;
      let sum = 0;
      for (const v of data.y) sum += (v - mean) ** 2;
      return sum / data.rows;
    })();
    // Act
    const forest = fitForest(data.x, data.y, data.rows, 2);
    // Assert: most of the variance explained, and the corners told apart
    expect(meanSquaredError(forest, data)).toBeLessThan(0.05 * variance);
    expect(predictForest(forest, [0.9, 0.9])).toBeGreaterThan(1.5);
    expect(predictForest(forest, [0.9, 0.1])).toBeLessThan(0.5);
    expect(predictForest(forest, [0.1, 0.9])).toBeLessThan(0.5);
  });

  it('is constant beyond the training range (no extrapolation)', () => {
    const data = gridRows(30, (a) => 3 * a);
    const forest = fitForest(data.x, data.y, data.rows, 2);
    expect(predictForest(forest, [5, 0.5])).toBe(predictForest(forest, [1, 0.5]));
    expect(predictForest(forest, [-5, 0.5])).toBe(predictForest(forest, [0, 0.5]));
  });

  it('is deterministic and respects the depth and the leaf size', () => {
    const data = gridRows(20, (a, b) => Math.sin(6 * a) + b);
    const options = { ...DEFAULT_BOOSTING, rounds: 5, depth: 2, minLeaf: 60 };
    const first = fitForest(data.x, data.y, data.rows, 2, options);
    const second = fitForest(data.x, data.y, data.rows, 2, options);
    expect(second).toEqual(first);
    expect(first.trees).toHaveLength(5);
    for (const tree of first.trees) {
      // Depth 2: at most 3 splits and 4 leaves.
      expect(tree.feature.filter((f) => f >= 0).length).toBeLessThanOrEqual(3);
      expect(tree.feature.length).toBeLessThanOrEqual(7);
    }
  });

  it('is the constant 0 without rows, and the mean with too few to split', () => {
    expect(
      predictForest(fitForest(new Float64Array(0), new Float64Array(0), 0, 3), [1, 2, 3]),
    ).toBe(0);
    const y = Float64Array.from([1, 2, 3, 6]);
    const forest = fitForest(Float64Array.from([0, 1, 2, 3]), y, 4, 1);
    // minLeaf 50 > 4 rows: no split, every tree a leaf, the prediction the mean.
    expect(predictForest(forest, [0])).toBeCloseTo(3, 10);
  });
});

describe('isForest', () => {
  it('accepts a fitted forest after a JSON round trip and rejects malformed ones', () => {
    const data = gridRows(10, (a, b) => a * b);
    const forest = JSON.parse(JSON.stringify(fitForest(data.x, data.y, data.rows, 2)));
    expect(isForest(forest, 2)).toBe(true);
    expect(isForest(forest, 3)).toBe(false);
    const cyclic = structuredClone(forest);
    cyclic.trees[0] = { feature: [0], threshold: [0], left: [0], right: [0], value: [0] };
    expect(isForest(cyclic, 2)).toBe(false);
    const ragged = structuredClone(forest);
    ragged.trees[0].value.pop();
    expect(isForest(ragged, 2)).toBe(false);
    expect(isForest({ features: 2, base: 'x', trees: [] }, 2)).toBe(false);
  });
});
