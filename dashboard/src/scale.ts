// Pure linear scales with readable ticks, shared by the model views' charts.
import { niceStep } from './chart.js';

export interface Scale {
  (v: number): number;
  domain: [number, number];
  ticks: number[];
}

/** Maps [lo, hi] (widened to nice steps unless `exact`) onto [r0, r1]. */
export const linearScale = (
  values: readonly number[],
  range: [number, number],
  options: { zero?: boolean; exact?: [number, number]; count?: number } = {},
): Scale => {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo: number;
  let hi: number;
  if (options.exact) [lo, hi] = options.exact;
  else {
    lo = finite.length ? Math.min(...finite) : 0;
    hi = finite.length ? Math.max(...finite) : 1;
    if (options.zero) lo = Math.min(0, lo);
  }
  if (hi - lo < 1e-12) hi = lo + 1;
  const step = niceStep(hi - lo, options.count ?? 4);
  if (!options.exact) {
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
  }
  const [r0, r1] = range;
  const scale = ((v: number) => r0 + ((v - lo) / (hi - lo)) * (r1 - r0)) as Scale;
  scale.domain = [lo, hi];
  scale.ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 2; v += step) {
    scale.ticks.push(Math.round(v * 1e6) / 1e6);
  }
  return scale;
};

/** A short UTC label for a time axis: `M/D` at midnight, `HH:MM` otherwise. */
export const timeLabel = (t: number): string => {
  const d = new Date(t);
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) {
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}`;
  }
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
};
