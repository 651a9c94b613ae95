// Streaming ridge regression: accumulate X'X and X'y one row at a time (millions of rows, no
// design matrix in memory), then solve by Cholesky. Deterministic: same rows, same coefficients.

export class RidgeAccumulator {
  readonly xtx: Float64Array;
  readonly xty: Float64Array;
  count = 0;

  constructor(readonly size: number) {
    this.xtx = new Float64Array(size * size);
    this.xty = new Float64Array(size);
  }

  add(x: Float64Array, y: number): void {
    const p = this.size;
    for (let i = 0; i < p; i++) {
      const xi = x[i] ?? 0;
      if (xi === 0) continue;
      this.xty[i] = (this.xty[i] ?? 0) + xi * y;
      const row = i * p;
      for (let k = i; k < p; k++) this.xtx[row + k] = (this.xtx[row + k] ?? 0) + xi * (x[k] ?? 0);
    }
    this.count++;
  }

  /**
   * Coefficients minimising |y - Xb|² + lambda·|b|² (the intercept, column 0, unpenalised).
   * A tiny jitter keeps the system positive definite when a feature never varies.
   */
  solve(lambda: number): number[] {
    const p = this.size;
    const a = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let k = i; k < p; k++) {
        const v = this.xtx[i * p + k] ?? 0;
        a[i * p + k] = v;
        a[k * p + i] = v;
      }
      a[i * p + i] = (a[i * p + i] ?? 0) + (i === 0 ? 1e-9 : lambda) + 1e-9;
    }
    return choleskySolve(a, Array.from(this.xty), p);
  }
}

/** Solves A b = y for symmetric positive definite A (row-major p×p). */
export const choleskySolve = (a: Float64Array, y: number[], p: number): number[] => {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let k = 0; k <= i; k++) {
      let sum = a[i * p + k] ?? 0;
      for (let m = 0; m < k; m++) sum -= (l[i * p + m] ?? 0) * (l[k * p + m] ?? 0);
      if (i === k) l[i * p + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * p + k] = sum / (l[k * p + k] ?? 1);
    }
  }
  const forward = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = y[i] ?? 0;
    for (let m = 0; m < i; m++) sum -= (l[i * p + m] ?? 0) * (forward[m] ?? 0);
    forward[i] = sum / (l[i * p + i] ?? 1);
  }
  const b = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let sum = forward[i] ?? 0;
    for (let m = i + 1; m < p; m++) sum -= (l[m * p + i] ?? 0) * (b[m] ?? 0);
    b[i] = sum / (l[i * p + i] ?? 1);
  }
  return b;
};

export const dot = (b: ReadonlyArray<number>, x: Float64Array): number => {
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum += (b[i] ?? 0) * (x[i] ?? 0);
  return sum;
};
