import { describe, expect, it } from 'vitest';
import { groupedBars, linesGeometry, stackedShares } from '../../../dashboard/src/plots.js';
import { linearScale, timeLabel } from '../../../dashboard/src/scale.js';

const DAY = 86_400_000;
const box = { width: 400, height: 200, margin: { top: 10, right: 10, bottom: 30, left: 40 } };

describe('linearScale', () => {
  it('widens to nice steps and maps the domain onto the range', () => {
    const y = linearScale([0.13, 0.87], [190, 10]);
    expect(y.domain).toEqual([0, 1]);
    expect(y(0)).toBe(190);
    expect(y(1)).toBe(10);
    expect(y.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('keeps an exact domain and survives a flat series', () => {
    expect(linearScale([0.5], [0, 100], { exact: [0, 1] })(0.25)).toBe(25);
    const flat = linearScale([3, 3], [0, 10]);
    expect(flat.domain[1]).toBeGreaterThan(flat.domain[0]);
  });

  it('labels midnight with the date and other times with the clock', () => {
    expect(timeLabel(Date.UTC(2026, 11, 2))).toBe('12/2');
    expect(timeLabel(Date.UTC(2026, 11, 2, 7, 5))).toBe('07:05');
  });
});

describe('linesGeometry', () => {
  it('draws one path per series, skipping gaps, with a reference line', () => {
    // Prepare
    const t0 = Date.UTC(2026, 10, 1);
    const series = [
      { name: 'v1', points: [0, 1, 2].map((i) => ({ t: t0 + i * DAY, v: 0.5 + i * 0.1 })) },
      {
        name: 'v2',
        points: [
          { t: t0, v: 0.9 },
          { t: t0 + DAY, v: null },
          { t: t0 + 2 * DAY, v: 0.7 },
        ],
      },
    ];
    // Act
    const g = linesGeometry(series, box, { yDomain: [0, 1], ref: 0.8 });
    // Assess
    expect(g.lines[0]?.path).toBe('M40 90 L215 74 L390 58');
    expect(g.lines[1]?.path.match(/M/g)).toHaveLength(2);
    expect(g.lines[1]?.dots.map((d) => d.v)).toEqual([0.9, 0.7]);
    expect(g.refY).toBe(42);
    expect(g.xTicks.map((t) => t.label)).toEqual(['11/1', '11/2', '11/3']);
  });
});

describe('bars', () => {
  it('groups bars per run and marks those over the threshold', () => {
    const g = groupedBars(
      [
        {
          label: 'r1',
          bars: [
            { key: 'pm25', value: 0.1 },
            { key: 'o3', value: 0.3 },
          ],
        },
        {
          label: 'r2',
          bars: [
            { key: 'pm25', value: 0.05 },
            { key: 'o3', value: 0.02 },
          ],
        },
      ],
      box,
      0.2,
    );
    expect(g.bars).toHaveLength(4);
    expect(g.bars.filter((b) => b.over).map((b) => `${b.group}/${b.key}`)).toEqual(['r1/o3']);
    expect(g.thresholdY).not.toBeNull();
    const o3 = g.bars[1];
    expect(o3 && o3.y + o3.height).toBeCloseTo(170);
  });

  it('stacks weights to their shares of each round', () => {
    const s = stackedShares(
      [
        {
          label: 'round 1',
          bars: [
            { key: 'champion', value: 0.9 },
            { key: 'challenger', value: 0.1 },
          ],
        },
      ],
      box,
    );
    expect(s.parts.map((p) => p.share)).toEqual([0.9, 0.1]);
    expect(s.parts[0]?.height).toBe(144);
    expect(s.parts[1]?.y).toBe(10);
  });
});
