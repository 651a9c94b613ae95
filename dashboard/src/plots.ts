// Pure geometry of the model views' charts: lines over time (wQL, coverage per model version),
// grouped bars with a threshold (PSI per metric per run) and stacked bars (A/B weights per
// round). SVG coordinates only; main.ts turns them into elements.
import { linePath } from './chart.js';
import { linearScale, timeLabel } from './scale.js';

export interface Box {
  width: number;
  height: number;
  margin?: { top: number; right: number; bottom: number; left: number };
}

export interface AxisTick {
  at: number;
  label: string;
}

const plotOf = (box: Box) => {
  const m = box.margin ?? { top: 12, right: 12, bottom: 28, left: 44 };
  return { left: m.left, top: m.top, right: box.width - m.right, bottom: box.height - m.bottom };
};
const r1 = (v: number) => Math.round(v * 10) / 10;
const label = (v: number) => String(Math.round(v * 1000) / 1000);

export interface TimeSeries {
  name: string;
  points: Array<{ t: number; v: number | null }>;
}

export interface LinesGeometry {
  plot: ReturnType<typeof plotOf>;
  lines: Array<{ name: string; path: string; dots: Array<{ x: number; y: number; v: number }> }>;
  xTicks: AxisTick[];
  yTicks: AxisTick[];
  /** y of a reference line (e.g. the 80% coverage target), when asked for. */
  refY: number | null;
}

export const linesGeometry = (
  series: readonly TimeSeries[],
  box: Box,
  options: { yDomain?: [number, number]; ref?: number } = {},
): LinesGeometry => {
  const plot = plotOf(box);
  const ts = series.flatMap((s) => s.points.map((p) => p.t));
  const vs = series.flatMap((s) =>
    s.points.flatMap((p) => (p.v === null || !Number.isFinite(p.v) ? [] : [p.v])),
  );
  if (options.ref !== undefined) vs.push(options.ref);
  const t0 = ts.length ? Math.min(...ts) : 0;
  const t1 = ts.length ? Math.max(...ts) : 1;
  const span = t1 - t0 || 86_400_000;
  const x = (t: number) =>
    ts.length < 2 || t1 === t0
      ? (plot.left + plot.right) / 2
      : plot.left + ((t - t0) / span) * (plot.right - plot.left);
  const y = linearScale(vs, [plot.bottom, plot.top], {
    zero: true,
    ...(options.yDomain ? { exact: options.yDomain } : {}),
  });
  const lines = series.map((s) => {
    const sorted = [...s.points].sort((a, b) => a.t - b.t);
    const pts = sorted.map((p): [number, number] | null =>
      p.v === null || !Number.isFinite(p.v) ? null : [x(p.t), y(p.v)],
    );
    return {
      name: s.name,
      path: linePath(pts),
      dots: sorted.flatMap((p) =>
        p.v === null || !Number.isFinite(p.v) ? [] : [{ x: r1(x(p.t)), y: r1(y(p.v)), v: p.v }],
      ),
    };
  });
  const distinct = [...new Set(ts)].sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(distinct.length / 7));
  return {
    plot,
    lines,
    xTicks: distinct
      .filter((_, i) => i % every === 0)
      .map((t) => ({ at: r1(x(t)), label: timeLabel(t) })),
    yTicks: y.ticks.map((v) => ({ at: r1(y(v)), label: label(v) })),
    refY: options.ref === undefined ? null : r1(y(options.ref)),
  };
};

export interface BarGroup {
  /** e.g. the run id. */
  label: string;
  bars: Array<{ key: string; value: number }>;
}

export interface BarsGeometry {
  plot: ReturnType<typeof plotOf>;
  bars: Array<{
    group: string;
    key: string;
    value: number;
    x: number;
    y: number;
    width: number;
    height: number;
    over: boolean;
  }>;
  groups: AxisTick[];
  yTicks: AxisTick[];
  thresholdY: number | null;
}

/** Bars side by side per group; `over` marks bars above the threshold. */
export const groupedBars = (
  groups: readonly BarGroup[],
  box: Box,
  threshold?: number,
  maxBarWidth = 36,
): BarsGeometry => {
  const plot = plotOf(box);
  const values = groups.flatMap((g) => g.bars.map((b) => b.value));
  if (threshold !== undefined) values.push(threshold);
  const y = linearScale(values, [plot.bottom, plot.top], { zero: true });
  const slot = (plot.right - plot.left) / Math.max(1, groups.length);
  const bars: BarsGeometry['bars'] = [];
  groups.forEach((g, i) => {
    // At most maxBarWidth a bar, the group centred in its slot.
    const w = Math.min(maxBarWidth, (slot * 0.8) / Math.max(1, g.bars.length));
    const start = plot.left + i * slot + (slot - w * g.bars.length) / 2;
    g.bars.forEach((b, j) => {
      const top = y(Math.max(0, b.value));
      bars.push({
        group: g.label,
        key: b.key,
        value: b.value,
        x: r1(start + j * w),
        y: r1(top),
        width: r1(Math.max(1, w - 1)),
        height: r1(Math.max(0, y(0) - top)),
        over: threshold !== undefined && b.value > threshold,
      });
    });
  });
  return {
    plot,
    bars,
    groups: groups.map((g, i) => ({ at: r1(plot.left + (i + 0.5) * slot), label: g.label })),
    yTicks: y.ticks.map((v) => ({ at: r1(y(v)), label: label(v) })),
    thresholdY: threshold === undefined ? null : r1(y(threshold)),
  };
};

/** Bars stacked to 100% per group: each part's share of the group's total (A/B weights). */
export const stackedShares = (groups: readonly BarGroup[], box: Box) => {
  const plot = plotOf(box);
  const slot = (plot.right - plot.left) / Math.max(1, groups.length);
  const h = plot.bottom - plot.top;
  const parts: Array<{
    group: string;
    key: string;
    value: number;
    share: number;
    x: number;
    y: number;
    width: number;
    height: number;
  }> = [];
  groups.forEach((g, i) => {
    const total = g.bars.reduce((s, b) => s + Math.max(0, b.value), 0);
    let acc = 0;
    for (const b of g.bars) {
      const share = total > 0 ? Math.max(0, b.value) / total : 0;
      parts.push({
        group: g.label,
        key: b.key,
        value: b.value,
        share,
        x: r1(plot.left + i * slot + slot * 0.15),
        y: r1(plot.bottom - (acc + share) * h),
        width: r1(slot * 0.7),
        height: r1(share * h),
      });
      acc += share;
    }
  });
  return {
    plot,
    parts,
    groups: groups.map((g, i) => ({ at: r1(plot.left + (i + 0.5) * slot), label: g.label })),
  };
};
