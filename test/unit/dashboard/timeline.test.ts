import { describe, expect, it } from 'vitest';
import { formatDuration, layoutInstants, layoutSpans } from '../../../dashboard/src/timeline.js';

describe('layoutSpans', () => {
  it('places sequential states in one lane with their durations', () => {
    // Act
    const { spans, lanes } = layoutSpans(
      [
        { label: 'Prepare', start: 0, end: 2_000 },
        { label: 'Train', start: 2_000, end: 62_000 },
        { label: 'Evaluate', start: 62_000, end: 100_000 },
      ],
      0,
      1000,
      0,
    );
    // Assess
    expect(lanes).toBe(1);
    expect(spans.map((s) => [s.label, s.x, s.width, s.duration])).toEqual([
      ['Prepare', 0, 20, '2 s'],
      ['Train', 20, 600, '1 min 0 s'],
      ['Evaluate', 620, 380, '38 s'],
    ]);
  });

  it('puts overlapping states (parallel branches) in separate lanes and draws a running one to now', () => {
    const { spans, lanes } = layoutSpans(
      [
        { label: 'A', start: 0, end: 50 },
        { label: 'B', start: 10, end: null },
      ],
      0,
      100,
      100,
    );
    expect(lanes).toBe(2);
    expect(spans.find((s) => s.label === 'B')).toMatchObject({
      lane: 1,
      width: 90,
      durationMs: 90,
    });
  });
});

describe('layoutInstants and durations', () => {
  it('spreads events over the axis in time order', () => {
    const { instants, ticks } = layoutInstants(
      [
        { at: 200, label: 'v2', kind: 'promoted' },
        { at: 100, label: 'v1', kind: 'trained' },
      ],
      0,
      100,
    );
    expect(instants.map((e) => [e.label, e.x])).toEqual([
      ['v1', 0],
      ['v2', 100],
    ]);
    expect(ticks).toHaveLength(2);
  });

  it('formats durations a person reads', () => {
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(7_260_000)).toBe('2 h 1 min');
    expect(formatDuration(-1)).toBe('—');
  });
});
