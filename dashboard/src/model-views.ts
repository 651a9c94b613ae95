// The model views: how forecasts did against what came (a device's last 7 days, wQL and 80%
// coverage per model version), data drift (PSI per metric per run), the registry as a timeline,
// A/B weights per round and each run's states with durations. SVG drawn from the pure geometry
// modules; each chart comes with a small table of the same numbers (it scrolls on a phone).
import { chartGeometry } from './chart.js';
import { el, fmt, stamp, svg } from './dom.js';
import { groupedBars, linesGeometry, stackedShares } from './plots.js';
import { formatDuration, layoutInstants, layoutSpans } from './timeline.js';
import type {
  AbRound,
  DailyAccuracy,
  HourBand,
  PsiRun,
  RegistryEvent,
  RunTimeline,
} from './views-data.js';

const HOUR = 3_600_000;
const PALETTE = ['#2f6fdf', '#e8743b', '#3aa76d', '#9b59b6', '#b3261e', '#14202e'];

/** Width to draw at: the card's, so text stays readable on a phone instead of shrinking. */
export const widthOf = (node: Element, max = 760) =>
  Math.max(300, Math.min(max, Math.floor((node.parentElement?.clientWidth ?? max) - 4)));

const frame = (target: SVGSVGElement, width: number, height: number) => {
  target.setAttribute('viewBox', `0 0 ${width} ${height}`);
  target.setAttribute('width', String(width));
  target.setAttribute('height', String(height));
  target.replaceChildren();
};

const yGrid = (
  target: SVGSVGElement,
  plot: { left: number; right: number },
  ticks: Array<{ at: number; label: string }>,
) => {
  const g = svg('g', { class: 'grid' });
  for (const t of ticks) {
    g.append(
      svg('line', { x1: plot.left, x2: plot.right, y1: t.at, y2: t.at }),
      svg('text', { x: plot.left - 6, y: t.at + 4, class: 'y-label' }, t.label),
    );
  }
  target.append(g);
};

/** `MM-DD HH:mm` (UTC): a run's start under its bars. */
const dayTime = (t: number | undefined) =>
  t === undefined ? '' : new Date(t).toISOString().slice(5, 16).replace('T', ' ');

const xLabels = (target: SVGSVGElement, y: number, ticks: Array<{ at: number; label: string }>) => {
  const g = svg('g', { class: 'grid' });
  for (const t of ticks) g.append(svg('text', { x: t.at, y, class: 'x-label' }, t.label));
  target.append(g);
};

const table = (head: string[], rows: Array<Array<string | Node>>, cls = '') =>
  el(
    'div',
    { class: 'table-scroll' },
    el(
      'table',
      { class: `metrics ${cls}` },
      el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))),
    ),
  );

const empty = (target: SVGSVGElement, note: HTMLElement, message: string) => {
  frame(target, 300, 40);
  target.dataset.state = 'empty';
  note.replaceChildren(el('p', { class: 'muted' }, message));
};

/** A device's past hours: the p10–p90 band forecast for them and the median, under what came. */
export const renderDeviceBands = (
  target: SVGSVGElement,
  note: HTMLElement,
  bands: HourBand[],
  emptyMessage: string,
) => {
  const withBand = bands.filter((b) => b.p10 !== null && b.p90 !== null && b.p50 !== null);
  if (bands.length === 0 || withBand.length === 0) return empty(target, note, emptyMessage);
  const width = widthOf(target, 1200);
  const height = 260;
  // One hourly axis from the first hour to the last; hours without a forecast break the band.
  const start = bands[0]?.t ?? 0;
  const hours = Math.round(((bands.at(-1)?.t ?? start) - start) / HOUR) + 1;
  const at = new Map(bands.map((b) => [Math.round((b.t - start) / HOUR), b]));
  const actual = Array.from({ length: hours }, (_, i) => at.get(i)?.actual ?? null);
  const geometry = chartGeometry({
    width,
    height,
    history: { start, values: actual },
    forecast: {
      start,
      mean: Array.from({ length: hours }, (_, i) => at.get(i)?.p50 ?? Number.NaN),
      lower: Array.from({ length: hours }, (_, i) => at.get(i)?.p10 ?? Number.NaN),
      upper: Array.from({ length: hours }, (_, i) => at.get(i)?.p90 ?? Number.NaN),
    },
  });
  frame(target, width, height);
  yGrid(target, geometry.plot, geometry.yTicks);
  xLabels(target, geometry.plot.bottom + 18, geometry.xTicks);
  // Segments: consecutive hours that have a band.
  let seg: number[] = [];
  const segments: number[][] = [];
  for (let i = 0; i < hours; i++) {
    const b = at.get(i);
    if (b && b.p10 !== null && b.p90 !== null) seg.push(i);
    else if (seg.length) {
      segments.push(seg);
      seg = [];
    }
  }
  if (seg.length) segments.push(seg);
  const [lo, hi] = [Number(geometry.yTicks[0]?.label), Number(geometry.yTicks.at(-1)?.label)];
  const y = (v: number) =>
    geometry.plot.bottom - ((v - lo) / (hi - lo || 1)) * (geometry.plot.bottom - geometry.plot.top);
  const x = (i: number) =>
    geometry.plot.left + (i / Math.max(1, hours - 1)) * (geometry.plot.right - geometry.plot.left);
  const r = (v: number) => Math.round(v * 10) / 10;
  for (const s of segments) {
    const top = s.map((i) => `${r(x(i))} ${r(y(at.get(i)?.p90 as number))}`);
    const bottom = s.map((i) => `${r(x(i))} ${r(y(at.get(i)?.p10 as number))}`).reverse();
    target.append(svg('path', { d: `M${top.join(' L')} L${bottom.join(' L')} Z`, class: 'band' }));
    target.append(
      svg('path', {
        d: `M${s.map((i) => `${r(x(i))} ${r(y(at.get(i)?.p50 as number))}`).join(' L')}`,
        class: 'mean',
      }),
    );
  }
  if (geometry.historyPath) {
    target.append(svg('path', { d: geometry.historyPath, class: 'history' }));
  }
  target.dataset.state = 'drawn';
  target.dataset.hours = String(withBand.length);
  const inside = withBand.filter(
    (b) => b.actual !== null && b.actual >= (b.p10 as number) && b.actual <= (b.p90 as number),
  ).length;
  const scored = withBand.filter((b) => b.actual !== null).length;
  note.replaceChildren(
    el(
      'p',
      { class: 'legend' },
      el('span', { class: 'key history' }, 'realised (hourly mean)'),
      el('span', { class: 'key mean' }, 'forecast median'),
      el('span', { class: 'key band' }, 'forecast p10–p90'),
    ),
    el(
      'p',
      { class: 'muted', 'data-inside': String(inside), 'data-scored': String(scored) },
      `${withBand.length} forecast hours, ${scored} with a reading; ${inside} inside the band (${scored ? fmt((100 * inside) / scored, 0) : '—'}%).`,
    ),
  );
};

/** Realised wQL and 80% coverage per model version, day by day. */
export const renderAccuracy = (
  wqlTarget: SVGSVGElement,
  coverageTarget: SVGSVGElement,
  note: HTMLElement,
  daily: DailyAccuracy[],
) => {
  if (daily.length === 0) {
    empty(coverageTarget, note, 'no realised accuracy yet');
    frame(wqlTarget, 300, 1);
    wqlTarget.dataset.state = 'empty';
    return;
  }
  const series = [...new Set(daily.map((d) => d.series))].sort();
  const width = widthOf(wqlTarget, 560);
  const box = { width, height: 200 };
  const seriesOf = (pick: (d: DailyAccuracy) => number | null) =>
    series.map((name) => ({
      name,
      points: daily.filter((d) => d.series === name).map((d) => ({ t: d.t, v: pick(d) })),
    }));
  const draw = (
    target: SVGSVGElement,
    pick: (d: DailyAccuracy) => number | null,
    options: { yDomain?: [number, number]; ref?: number },
  ) => {
    const g = linesGeometry(seriesOf(pick), box, options);
    frame(target, box.width, box.height);
    yGrid(target, g.plot, g.yTicks);
    xLabels(target, g.plot.bottom + 18, g.xTicks);
    if (g.refY !== null) {
      target.append(
        svg('line', { x1: g.plot.left, x2: g.plot.right, y1: g.refY, y2: g.refY, class: 'ref' }),
      );
    }
    g.lines.forEach((line, i) => {
      const colour = PALETTE[i % PALETTE.length] ?? '#2f6fdf';
      target.append(svg('path', { d: line.path, class: 'series', stroke: colour }));
      for (const d of line.dots) {
        const dot = svg('circle', { cx: d.x, cy: d.y, r: 3, fill: colour, class: 'dot' });
        dot.append(svg('title', {}, `${line.name}: ${fmt(d.v, 3)}`));
        target.append(dot);
      }
    });
    target.dataset.state = 'drawn';
  };
  draw(wqlTarget, (d) => d.wql, {});
  draw(coverageTarget, (d) => d.coverage80, { yDomain: [0, 1], ref: 0.8 });
  note.replaceChildren(
    el(
      'p',
      { class: 'legend' },
      ...series.map((v, i) => {
        const dot = svg('svg', { width: 10, height: 10, viewBox: '0 0 10 10' });
        dot.append(svg('circle', { cx: 5, cy: 5, r: 5, fill: PALETTE[i % PALETTE.length] ?? '' }));
        return el('span', { class: 'swatch' }, dot, v);
      }),
    ),
    table(
      ['day', 'version', 'variant', 'wQL', '80% coverage'],
      [...daily]
        .sort((a, b) => b.t - a.t || a.series.localeCompare(b.series))
        .map((d) => [
          new Date(d.t).toISOString().slice(0, 10),
          d.version,
          d.variant ?? '—',
          fmt(d.wql, 3),
          d.coverage80 === null ? '—' : `${fmt(100 * d.coverage80, 1)}%`,
        ]),
      'accuracy-table',
    ),
  );
};

/** PSI per metric per run, the threshold as a line; bars over it in the alarm colour. */
export const renderPsi = (target: SVGSVGElement, note: HTMLElement, runs: PsiRun[]) => {
  if (runs.length === 0) return empty(target, note, 'no drift check has run yet');
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.psi)))].sort();
  const threshold = runs.at(-1)?.threshold ?? 0.2;
  const width = widthOf(target);
  const g = groupedBars(
    runs.map((r) => ({
      label: r.runId,
      bars: metrics.map((m) => ({ key: m, value: r.psi[m] ?? 0 })),
    })),
    { width, height: 220 },
    threshold,
  );
  frame(target, width, 220);
  yGrid(target, g.plot, g.yTicks);
  // Runs by when they started (day and time), so labels fit under their bars.
  xLabels(
    target,
    g.plot.bottom + 18,
    g.groups.map((t, i) => ({ at: t.at, label: dayTime(runs[i]?.t) })),
  );
  for (const b of g.bars) {
    const rect = svg('rect', {
      x: b.x,
      y: b.y,
      width: b.width,
      height: b.height,
      class: `bar ${b.over ? 'over' : ''}`,
      fill: PALETTE[metrics.indexOf(b.key) % PALETTE.length] ?? '#2f6fdf',
      'data-run': b.group,
      'data-metric': b.key,
      'data-value': b.value,
    });
    rect.append(svg('title', {}, `${b.group} · ${b.key}: PSI ${fmt(b.value, 3)}`));
    target.append(rect);
  }
  if (g.thresholdY !== null) {
    target.append(
      svg('line', {
        x1: g.plot.left,
        x2: g.plot.right,
        y1: g.thresholdY,
        y2: g.thresholdY,
        class: 'ref threshold',
      }),
      svg(
        'text',
        { x: g.plot.right, y: g.thresholdY - 4, class: 'ref-label' },
        `threshold ${threshold}`,
      ),
    );
  }
  target.dataset.state = 'drawn';
  target.dataset.threshold = String(threshold);
  note.replaceChildren(
    table(
      ['run', 'at', ...metrics],
      [...runs]
        .reverse()
        .map((r) => [
          r.runId,
          stamp(r.t),
          ...metrics.map((m) =>
            el(
              'span',
              { class: (r.psi[m] ?? 0) > r.threshold ? 'over' : '' },
              r.psi[m] === undefined ? '—' : fmt(r.psi[m], 3),
            ),
          ),
        ]),
      'psi-table',
    ),
  );
};

/** The registry as events on one time axis; hover (title) gives the reason. */
export const renderRegistry = (
  target: SVGSVGElement,
  note: HTMLElement,
  events: RegistryEvent[],
) => {
  if (events.length === 0) return empty(target, note, 'no model in the registry yet');
  const width = widthOf(target, 1200); // a wide card: the week's events spread out
  const height = 120;
  const { instants, ticks } = layoutInstants(
    events.map((e) => ({ at: e.t, label: e.version, kind: e.kind, detail: e.reason })),
    40,
    width - 40,
  );
  frame(target, width, height);
  target.append(svg('line', { x1: 20, x2: width - 20, y1: 60, y2: 60, class: 'axis' }));
  instants.forEach((e, i) => {
    const g = svg('g', {
      class: `event event-${e.kind}`,
      'data-version': e.label,
      'data-kind': e.kind,
    });
    const y = 60 + (i % 2 === 0 ? -1 : 1) * 22;
    g.append(
      svg('line', { x1: e.x, x2: e.x, y1: 60, y2: y, class: 'stem' }),
      svg('circle', { cx: e.x, cy: 60, r: 6 }),
      svg('text', { x: e.x, y: y + (i % 2 === 0 ? -4 : 12), class: 'event-label' }, `${e.kind}`),
      svg('title', {}, `${e.label} ${e.kind} at ${stamp(e.at)}${e.detail ? `: ${e.detail}` : ''}`),
    );
    target.append(g);
  });
  xLabels(target, height - 6, ticks);
  target.dataset.state = 'drawn';
  note.replaceChildren(
    table(
      ['at', 'version', 'event', 'reason'],
      [...events].reverse().map((e) => [stamp(e.t), e.version, e.kind, e.reason || '—']),
      'registry-table',
    ),
  );
};

/** A/B weights per round, stacked to 100%. */
export const renderAb = (target: SVGSVGElement, note: HTMLElement, rounds: AbRound[]) => {
  if (rounds.length === 0) return empty(target, note, 'no A/B test has run yet');
  const width = widthOf(target, 560);
  const s = stackedShares(
    rounds.map((r) => ({
      label: r.label,
      bars: Object.entries(r.weights).map(([key, value]) => ({ key, value })),
    })),
    { width, height: 200 },
  );
  frame(target, width, 200);
  for (const p of s.parts) {
    const rect = svg('rect', {
      x: p.x,
      y: p.y,
      width: p.width,
      height: p.height,
      class: `weight weight-${p.key}`,
      'data-round': p.group,
      'data-variant': p.key,
      'data-value': p.value,
    });
    rect.append(svg('title', {}, `${p.group} · ${p.key}: weight ${fmt(p.value, 2)}`));
    target.append(rect);
  }
  xLabels(
    target,
    196,
    s.groups.map((g, i) => ({ at: g.at, label: dayTime(rounds[i]?.t) })),
  );
  target.dataset.state = 'drawn';
  note.replaceChildren(
    el(
      'p',
      { class: 'legend' },
      el('span', { class: 'key champion' }, 'champion weight'),
      el('span', { class: 'key challenger' }, 'challenger weight'),
    ),
    table(
      ['round', 'at', 'champion', 'challenger'],
      rounds.map((r) => [
        r.label,
        stamp(r.t),
        fmt(r.weights.champion, 2),
        fmt(r.weights.challenger, 2),
      ]),
      'ab-table',
    ),
  );
};

/** Each run's states as bars on its own time axis, with their durations. */
export const renderRunStates = (target: HTMLElement, runs: RunTimeline[], now: number) => {
  // The card's own width: it spans the page.
  if (runs.length === 0) {
    target.replaceChildren(el('p', { class: 'muted' }, 'no runs yet'));
    return;
  }
  const width = Math.max(300, Math.min(1200, Math.floor(target.clientWidth - 4)));
  target.replaceChildren(
    ...runs.map((run) => {
      const laid = layoutSpans(
        run.states.map((s) => ({ label: s.name, start: s.start, end: s.end })),
        8,
        width - 8,
        now,
      );
      const laneH = 22;
      const height = Math.max(1, laid.lanes) * laneH + 4;
      const chart = svg('svg', {
        viewBox: `0 0 ${width} ${height}`,
        width,
        height,
        class: 'run-states',
        role: 'img',
        'aria-label': `${run.runId} states`,
      }) as SVGSVGElement;
      laid.spans.forEach((s, i) => {
        const g = svg('g', {
          class: 'state-span',
          'data-state': s.label,
          'data-duration-ms': s.durationMs,
        });
        g.append(
          svg('rect', {
            x: s.x,
            y: 2 + s.lane * laneH,
            width: s.width,
            height: laneH - 4,
            fill: PALETTE[i % PALETTE.length] ?? '#2f6fdf',
          }),
          svg('title', {}, `${s.label}: ${s.duration}`),
        );
        if (s.width > 70) {
          g.append(
            svg(
              'text',
              { x: s.x + 4, y: 2 + s.lane * laneH + 13, class: 'span-label' },
              `${s.label} ${s.duration}`,
            ),
          );
        }
        chart.append(g);
      });
      const total = run.durationMs ?? laid.t1 - laid.t0;
      return el(
        'div',
        { class: 'run-timeline', 'data-run': run.runId },
        el(
          'p',
          {},
          el('strong', {}, run.runId),
          ` · ${run.outcome} · ${stamp(laid.t0)} · ${laid.spans.length > 1 ? `${laid.spans.length} states, ` : ''}`,
          el('span', { class: 'run-total', 'data-ms': String(total) }, formatDuration(total)),
          run.perState ? '' : ' (per-state times need GET /runs)',
        ),
        chart,
      );
    }),
  );
};
