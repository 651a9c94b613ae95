// The anchors the engine must beat, each forecasting one origin from its history alone:
// naive (last value) and seasonal naive (24 h), both with empirical quantiles of their own
// in-sample errors per horizon step, and MSTL (periods 24 and 168) with AutoETS on the
// remainder from @bsull/augurs, a stand-in for R's forecast::stlf.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initSync, MSTL } from '@bsull/augurs/mstl';
import type { QuantileForecast } from './scores.js';

let ready = false;
/** The WASM module, loaded from disk (its default loader fetches, which Node cannot for file:). */
export const initAugurs = (): void => {
  if (ready) return;
  // The .wasm is not in the package's exports map: resolve the JS entry and take its sibling.
  const entry = createRequire(import.meta.url).resolve('@bsull/augurs/mstl');
  const wasm = readFileSync(join(dirname(entry), 'mstl_bg.wasm'));
  initSync({ module: wasm });
  ready = true;
};

const lastObserved = (history: ReadonlyArray<number | null>, end: number): number | undefined => {
  for (let i = end - 1; i >= 0; i--) {
    const v = history[i];
    if (v !== null && v !== undefined) return v;
  }
  return undefined;
};

const quantileOf = (sorted: number[], level: number): number => {
  if (sorted.length === 0) return 0;
  const pos = level * (sorted.length - 1);
  const lo = Math.floor(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] ?? a;
  return a + (b - a) * (pos - lo);
};

type PointRule = (
  history: ReadonlyArray<number | null>,
  end: number,
  h: number,
) => number | undefined;

const naiveRule: PointRule = (history, end) => lastObserved(history, end);

const seasonalRule: PointRule = (history, end, h) => {
  // Same hour a day (or k days) earlier; falls back to the last value across gaps.
  for (let k = Math.ceil(h / 24); k <= Math.ceil(h / 24) + 6; k++) {
    const v = history[end + h - 1 - 24 * k];
    if (v !== null && v !== undefined) return v;
  }
  return lastObserved(history, end);
};

/** Point rule + per-step empirical quantiles of its in-sample h-step errors. */
const empirical =
  (rule: PointRule) =>
  (history: ReadonlyArray<number | null>, steps: number): QuantileForecast => {
    const errors = Array.from({ length: steps }, () => [] as number[]);
    for (let origin = 24; origin < history.length; origin++) {
      for (let h = 1; h <= steps && origin + h - 1 < history.length; h++) {
        const y = history[origin + h - 1];
        if (y === null || y === undefined) continue;
        const p = rule(history, origin, h);
        if (p !== undefined) errors[h - 1]?.push(y - p);
      }
    }
    const out: QuantileForecast = { q10: [], q50: [], q90: [] };
    for (let h = 1; h <= steps; h++) {
      const p = rule(history, history.length, h) ?? 0;
      const sorted = (errors[h - 1] ?? []).sort((a, b) => a - b);
      out.q10.push(Math.max(0, p + quantileOf(sorted, 0.1)));
      out.q50.push(Math.max(0, p + quantileOf(sorted, 0.5)));
      out.q90.push(Math.max(0, p + quantileOf(sorted, 0.9)));
    }
    return out;
  };

export const naive = empirical(naiveRule);
export const seasonalNaive24 = empirical(seasonalRule);

/** Linear interpolation over gaps (flat at the ends): MSTL needs a complete series. */
export const interpolate = (history: ReadonlyArray<number | null>): number[] => {
  const out = new Array<number>(history.length);
  let prev = -1;
  for (let i = 0; i <= history.length; i++) {
    const v = i < history.length ? history[i] : undefined;
    if (i < history.length && (v === null || v === undefined)) continue;
    const from = prev >= 0 ? (history[prev] ?? 0) : (v ?? 0);
    const to = i < history.length ? (v ?? 0) : from;
    for (let k = prev + 1; k < i; k++) {
      out[k] =
        prev < 0 ? to : i >= history.length ? from : from + ((to - from) * (k - prev)) / (i - prev);
    }
    if (i < history.length) out[i] = v ?? 0;
    prev = i;
  }
  return out;
};

export const mstlEts = (history: ReadonlyArray<number | null>, steps: number): QuantileForecast => {
  // STL needs two full periods: a young history drops the weekly one, then falls back to naive.
  const periods = [24, 168].filter((p) => history.length >= 2 * p);
  if (periods.length === 0) return naive(history, steps);
  initAugurs();
  const model = MSTL.ets(periods);
  try {
    model.fit(interpolate(history));
    const forecast = model.predict(steps, 0.8);
    const lower = forecast.intervals?.lower ?? forecast.point;
    const upper = forecast.intervals?.upper ?? forecast.point;
    return {
      q10: lower.map((v) => Math.max(0, v)),
      q50: forecast.point.map((v) => Math.max(0, v)),
      q90: upper.map((v) => Math.max(0, v)),
    };
  } finally {
    model.free();
  }
};
