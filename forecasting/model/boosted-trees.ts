// Gradient-boosted regression trees (squared loss, histogram splits): depth-limited trees grown
// level by level on features binned at their quantiles, each tree fitted to what the trees
// before it left unexplained and added with shrinkage. Deterministic (no row sampling): the
// same rows, the same forest. Trees never extrapolate (beyond the training range a leaf is
// constant), which is why the global model uses them for what the ridge cannot express.
// Pure functions over typed arrays; the forest is plain JSON.

/** One tree, nodes in arrays; a node with feature -1 is a leaf holding `value`. */
export interface Tree {
  feature: number[];
  /** Go left when x[feature] <= threshold. */
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface Forest {
  features: number;
  /** Added to every prediction (the mean of the targets). */
  base: number;
  trees: Tree[];
}

export interface BoostingOptions {
  rounds: number;
  depth: number;
  shrinkage: number;
  /** Rows a leaf needs at least. */
  minLeaf: number;
  /** Ridge on leaf values: leaves of few rows move less. */
  lambda: number;
  /** Bins per feature (at most 255). */
  bins: number;
}

export const DEFAULT_BOOSTING: BoostingOptions = {
  rounds: 60,
  depth: 4,
  shrinkage: 0.1,
  minLeaf: 50,
  lambda: 10,
  bins: 32,
};

/** Rows sampled per feature to place the bin edges. */
const EDGE_SAMPLE = 20_000;

/** Bin edges of one feature: distinct quantiles of an evenly spread sample of its values. */
export const binEdges = (x: Float64Array, rows: number, p: number, f: number, bins: number) => {
  const stride = Math.max(1, Math.floor(rows / EDGE_SAMPLE));
  const values: number[] = [];
  for (let r = 0; r < rows; r += stride) values.push(x[r * p + f] ?? 0);
  values.sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = values[Math.floor((k * values.length) / bins)] ?? 0;
    // The last value cannot be an edge: nothing would go right of it.
    if (v < (values[values.length - 1] ?? 0) && (edges.length === 0 || v > (edges.at(-1) ?? 0)))
      edges.push(v);
  }
  return edges;
};

/** Number of edges below v: the bin of v (x <= edges[k] is bin k or lower). */
const binOf = (edges: readonly number[], v: number): number => {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v > (edges[mid] ?? 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

interface Split {
  feature: number;
  bin: number;
  gain: number;
}

/** Per-feature histograms (256 bins each) of the weighted residual sums, weights and rows. */
interface Histogram {
  sums: Float64Array;
  weights: Float64Array;
  counts: Uint32Array;
}

const histogramOf = (
  codes: Uint8Array,
  p: number,
  g: Float64Array,
  w: Float64Array,
  index: Uint32Array,
): Histogram => {
  const sums = new Float64Array(p * 256);
  const weights = new Float64Array(p * 256);
  const counts = new Uint32Array(p * 256);
  // One pass over the rows fills every feature's histogram (row-major codes: sequential reads).
  for (let i = 0; i < index.length; i++) {
    const r = index[i] ?? 0;
    const wr = w[r] ?? 0;
    const v = wr * (g[r] ?? 0);
    const row = r * p;
    for (let f = 0; f < p; f++) {
      const at = f * 256 + (codes[row + f] ?? 0);
      sums[at] = (sums[at] ?? 0) + v;
      weights[at] = (weights[at] ?? 0) + wr;
      counts[at] = (counts[at] ?? 0) + 1;
    }
  }
  return { sums, weights, counts };
};

/** The parent's histogram minus one child's: the other child's, without a pass over its rows. */
const difference = (parent: Histogram, child: Histogram): Histogram => ({
  sums: parent.sums.map((v, i) => v - (child.sums[i] ?? 0)),
  weights: parent.weights.map((v, i) => v - (child.weights[i] ?? 0)),
  counts: parent.counts.map((v, i) => v - (child.counts[i] ?? 0)),
});

/**
 * The best split of `n` rows of weight `weight` whose weighted residuals sum to `total`, from
 * their histogram; undefined when none helps.
 */
const bestSplit = (
  histogram: Histogram,
  p: number,
  edges: readonly number[][],
  n: number,
  weight: number,
  total: number,
  options: BoostingOptions,
): Split | undefined => {
  const { minLeaf, lambda } = options;
  const { sums, weights, counts } = histogram;
  const parent = (total * total) / (weight + lambda);
  let best: Split | undefined;
  for (let f = 0; f < p; f++) {
    const nb = (edges[f]?.length ?? 0) + 1;
    if (nb < 2) continue;
    let sl = 0;
    let wl = 0;
    let nl = 0;
    for (let b = 0; b < nb - 1; b++) {
      sl += sums[f * 256 + b] ?? 0;
      wl += weights[f * 256 + b] ?? 0;
      nl += counts[f * 256 + b] ?? 0;
      const nr = n - nl;
      if (nl < minLeaf) continue;
      if (nr < minLeaf) break;
      const sr = total - sl;
      const wr = weight - wl;
      const gain = (sl * sl) / (wl + lambda) + (sr * sr) / (wr + lambda) - parent;
      if (gain > (best?.gain ?? 1e-12)) best = { feature: f, bin: b, gain };
    }
  }
  return best;
};

/** Grows one tree on residuals `g` and adds its (shrunk) predictions to `pred`. */
const growTree = (
  codes: Uint8Array,
  p: number,
  edges: readonly number[][],
  g: Float64Array,
  w: Float64Array,
  pred: Float64Array,
  rows: number,
  options: BoostingOptions,
): Tree => {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const grow = (index: Uint32Array, depth: number, histogram?: Histogram): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < index.length; i++) {
      const r = index[i] ?? 0;
      sum += (w[r] ?? 0) * (g[r] ?? 0);
      weight += w[r] ?? 0;
    }
    const canSplit = depth < options.depth && index.length >= 2 * options.minLeaf;
    const own = canSplit ? (histogram ?? histogramOf(codes, p, g, w, index)) : undefined;
    const split = own ? bestSplit(own, p, edges, index.length, weight, sum, options) : undefined;
    if (!own || !split) {
      const value = (options.shrinkage * sum) / (weight + options.lambda);
      tree.value[node] = value;
      for (let i = 0; i < index.length; i++) {
        const r = index[i] ?? 0;
        pred[r] = (pred[r] ?? 0) + value;
      }
      return node;
    }
    let nl = 0;
    for (let i = 0; i < index.length; i++)
      if ((codes[(index[i] ?? 0) * p + split.feature] ?? 0) <= split.bin) nl++;
    const left = new Uint32Array(nl);
    const right = new Uint32Array(index.length - nl);
    let a = 0;
    let b = 0;
    for (let i = 0; i < index.length; i++) {
      const r = index[i] ?? 0;
      if ((codes[r * p + split.feature] ?? 0) <= split.bin) left[a++] = r;
      else right[b++] = r;
    }
    // The smaller child's histogram by a pass over its rows, the larger one's by difference.
    const deeper = depth + 1 < options.depth;
    const smallIsLeft = left.length <= right.length;
    const small = deeper ? histogramOf(codes, p, g, w, smallIsLeft ? left : right) : undefined;
    const large = small ? difference(own, small) : undefined;
    tree.feature[node] = split.feature;
    tree.threshold[node] = edges[split.feature]?.[split.bin] ?? 0;
    tree.left[node] = grow(left, depth + 1, smallIsLeft ? small : large);
    tree.right[node] = grow(right, depth + 1, smallIsLeft ? large : small);
    return node;
  };
  const all = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) all[r] = r;
  grow(all, 0);
  return tree;
};

/**
 * Fits a forest to `rows` rows of `p` features (`x`, row-major) and targets `y` under squared
 * loss, each row weighted by `weights` (1 when absent). With no row it is the constant 0.
 */
export const fitForest = (
  x: Float64Array,
  y: Float64Array,
  rows: number,
  p: number,
  options: BoostingOptions = DEFAULT_BOOSTING,
  weights?: Float64Array,
): Forest => {
  if (rows === 0) return { features: p, base: 0, trees: [] };
  const w = weights ?? new Float64Array(rows).fill(1);
  let base = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    base += (w[r] ?? 0) * (y[r] ?? 0);
    total += w[r] ?? 0;
  }
  base = total > 0 ? base / total : 0;
  const bins = Math.min(255, Math.max(2, options.bins));
  const edges = Array.from({ length: p }, (_, f) => binEdges(x, rows, p, f, bins));
  const codes = new Uint8Array(rows * p);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < p; f++) codes[r * p + f] = binOf(edges[f] ?? [], x[r * p + f] ?? 0);
  }
  const pred = new Float64Array(rows).fill(base);
  const g = new Float64Array(rows);
  const trees: Tree[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (let r = 0; r < rows; r++) g[r] = (y[r] ?? 0) - (pred[r] ?? 0);
    trees.push(growTree(codes, p, edges, g, w, pred, rows, options));
  }
  return { features: p, base, trees };
};

/** The forest's prediction for one row of features. */
export const predictForest = (forest: Forest, x: ArrayLike<number>): number => {
  let sum = forest.base;
  for (const tree of forest.trees) {
    let node = 0;
    while ((tree.feature[node] ?? -1) >= 0) {
      const f = tree.feature[node] ?? 0;
      node =
        (x[f] ?? 0) <= (tree.threshold[node] ?? 0)
          ? (tree.left[node] ?? 0)
          : (tree.right[node] ?? 0);
    }
    sum += tree.value[node] ?? 0;
  }
  return sum;
};

const isNumberArray = (v: unknown): v is number[] =>
  Array.isArray(v) && v.every((n) => typeof n === 'number' && Number.isFinite(n));

/** Whether `value` is a well-formed forest over `features` features (a loaded artifact). */
export const isForest = (value: unknown, features: number): boolean => {
  const f = value as Partial<Forest> | null;
  if (f?.features !== features || typeof f.base !== 'number' || !Number.isFinite(f.base))
    return false;
  if (!Array.isArray(f.trees)) return false;
  return f.trees.every((t: Partial<Tree>) => {
    const n = t?.feature?.length ?? -1;
    if (n < 1) return false;
    const arrays = [t.feature, t.threshold, t.left, t.right, t.value];
    if (!arrays.every((a) => isNumberArray(a) && a.length === n)) return false;
    // Children point forward (no cycles) and features exist.
    return (t.feature ?? []).every((feat, i) => {
      if (feat === -1) return true;
      const l = t.left?.[i] ?? -1;
      const r = t.right?.[i] ?? -1;
      return (
        Number.isInteger(feat) && feat >= 0 && feat < features && l > i && r > i && l < n && r < n
      );
    });
  });
};
