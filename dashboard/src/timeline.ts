// Pure timeline layout: spans (a run's states, start to end) and instants (registry events)
// placed on one time axis, spans in lanes so none overlap, with human durations.
import { timeLabel } from './scale.js';

export interface Span {
  label: string;
  start: number;
  /** null while still running: drawn up to `now`. */
  end: number | null;
  kind?: string;
  detail?: string;
}

export interface PlacedSpan extends Span {
  x: number;
  width: number;
  lane: number;
  durationMs: number;
  duration: string;
}

export interface Instant {
  at: number;
  label: string;
  kind: string;
  detail?: string;
}

export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s * 10) / 10} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m - h * 60} min`;
};

const r1 = (v: number) => Math.round(v * 10) / 10;

/** Spans on [left, right], greedy lanes: a span goes in the first lane free at its start. */
export const layoutSpans = (
  spans: readonly Span[],
  left: number,
  right: number,
  now: number,
  minWidth = 2,
): { spans: PlacedSpan[]; lanes: number; t0: number; t1: number } => {
  if (spans.length === 0) return { spans: [], lanes: 0, t0: now, t1: now };
  const ends = spans.map((s) => s.end ?? now);
  const t0 = Math.min(...spans.map((s) => s.start));
  const t1 = Math.max(...ends, t0 + 1);
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (right - left);
  const laneEnds: number[] = [];
  const placed = spans
    .map((s, i) => ({ s, end: ends[i] ?? now }))
    .sort((a, b) => a.s.start - b.s.start || a.end - b.end)
    .map(({ s, end }) => {
      let lane = laneEnds.findIndex((e) => e <= s.start);
      if (lane < 0) lane = laneEnds.push(end) - 1;
      else laneEnds[lane] = end;
      const durationMs = end - s.start;
      return {
        ...s,
        x: r1(x(s.start)),
        width: r1(Math.max(minWidth, x(end) - x(s.start))),
        lane,
        durationMs,
        duration: formatDuration(durationMs),
      };
    });
  return { spans: placed, lanes: laneEnds.length, t0, t1 };
};

/** Instants on [left, right], with axis ticks; a single instant sits in the middle. */
export const layoutInstants = (instants: readonly Instant[], left: number, right: number) => {
  const sorted = [...instants].sort((a, b) => a.at - b.at);
  const t0 = sorted[0]?.at ?? 0;
  const t1 = sorted.at(-1)?.at ?? 0;
  const x = (t: number) =>
    t1 === t0 ? (left + right) / 2 : left + ((t - t0) / (t1 - t0)) * (right - left);
  return {
    instants: sorted.map((e) => ({ ...e, x: r1(x(e.at)) })),
    ticks: [t0, t1]
      .filter((t, i, a) => a.indexOf(t) === i && sorted.length > 0)
      .map((t) => ({
        at: r1(x(t)),
        label: `${new Date(t).toISOString().slice(5, 10)} ${timeLabel(t)}`,
      })),
  };
};
