// Pure chart geometry: recent hourly history, the forecast mean and its quantile band, mapped to
// SVG paths. No DOM here, so it is unit-tested like any other core.
export interface ChartInput {
  history: { start: number; values: Array<number | null> };
  forecast?: { start: number; mean: number[]; lower?: number[]; upper?: number[] };
  width: number;
  height: number;
  /** Room for the axes' labels. */
  margin?: { top: number; right: number; bottom: number; left: number };
}

export interface Tick {
  at: number;
  label: string;
}

export interface ChartGeometry {
  historyPath: string;
  meanPath: string;
  bandPath: string;
  /** x of the first forecast hour (the "now" divider), or null without a forecast. */
  forecastX: number | null;
  xTicks: Tick[];
  yTicks: Tick[];
  plot: { left: number; top: number; right: number; bottom: number };
}

const HOUR = 3_600_000;
const round = (v: number) => Math.round(v * 10) / 10;

/** 1, 2, 5 × 10^k steps: ticks a person reads at a glance. */
export const niceStep = (span: number, count: number): number => {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
};

/** "M x y L x y …", starting a new segment after every gap (null) so gaps stay visible. */
export const linePath = (points: Array<[number, number] | null>): string => {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${round(p[0])} ${round(p[1])} `;
    pen = true;
  }
  return d.trim();
};

export const chartGeometry = (input: ChartInput): ChartGeometry => {
  const m = input.margin ?? { top: 12, right: 16, bottom: 28, left: 48 };
  const plot = {
    left: m.left,
    top: m.top,
    right: input.width - m.right,
    bottom: input.height - m.bottom,
  };
  const { history, forecast } = input;
  const historyEnd = history.start + history.values.length * HOUR;
  const t0 = history.values.length > 0 ? history.start : (forecast?.start ?? 0);
  const t1 = Math.max(
    historyEnd - HOUR,
    forecast ? forecast.start + (forecast.mean.length - 1) * HOUR : t0,
    t0 + HOUR,
  );
  const values = [
    ...history.values.filter((v): v is number => v !== null && Number.isFinite(v)),
    ...(forecast?.mean ?? []),
    ...(forecast?.lower ?? []),
    ...(forecast?.upper ?? []),
  ].filter((v) => Number.isFinite(v));
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (lo >= 0 && lo < (hi - lo) * 0.5) lo = 0; // anchor concentrations at zero when close
  if (hi - lo < 1e-9) hi = lo + 1;
  const step = niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;

  const x = (t: number) => plot.left + ((t - t0) / (t1 - t0)) * (plot.right - plot.left);
  const y = (v: number) => plot.bottom - ((v - lo) / (hi - lo)) * (plot.bottom - plot.top);

  const historyPath = linePath(
    history.values.map((v, i) =>
      v === null || !Number.isFinite(v) ? null : [x(history.start + i * HOUR), y(v)],
    ),
  );
  let meanPath = '';
  let bandPath = '';
  if (forecast) {
    const at = (i: number) => x(forecast.start + i * HOUR);
    meanPath = linePath(forecast.mean.map((v, i) => [at(i), y(v)]));
    const { lower, upper } = forecast;
    if (lower && upper && lower.length > 0 && upper.length === lower.length) {
      const top = upper.map((v, i) => `${round(at(i))} ${round(y(v))}`);
      const bottom = lower.map((v, i) => `${round(at(i))} ${round(y(v))}`).reverse();
      bandPath = `M${top.join(' L')} L${bottom.join(' L')} Z`;
    }
  }

  const yTicks: Tick[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) {
    yTicks.push({ at: round(y(v)), label: String(Math.round(v * 1000) / 1000) });
  }
  const xTicks: Tick[] = [];
  const spanHours = (t1 - t0) / HOUR;
  const everyHours = spanHours > 96 ? 24 : spanHours > 48 ? 12 : 6;
  const first = Math.ceil(t0 / (everyHours * HOUR)) * everyHours * HOUR;
  for (let t = first; t <= t1; t += everyHours * HOUR) {
    const d = new Date(t);
    const hh = String(d.getUTCHours()).padStart(2, '0');
    const label = d.getUTCHours() === 0 ? `${d.getUTCMonth() + 1}/${d.getUTCDate()}` : `${hh}:00`;
    xTicks.push({ at: round(x(t)), label });
  }
  return {
    historyPath,
    meanPath,
    bandPath,
    forecastX: forecast ? round(x(forecast.start)) : null,
    xTicks,
    yTicks,
    plot,
  };
};
