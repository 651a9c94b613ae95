// Scoring with shadows: the champion's shadow of a canary forecast is scored apart from the
// served forecasts, and its fleet row pairs it with the canary's forecasts of the same requests.
import { describe, expect, it } from 'vitest';
import {
  type ActualSeries,
  fleetRows,
  roleOf,
  type ScoreRow,
  type ServedSample,
  scoreHour,
} from '../../../core/realised-accuracy.js';

const T0 = Date.parse('2026-11-20T00:00:00Z');

const sample = (over: Partial<ServedSample> & { level: number }): ServedSample => {
  const { level, ...rest } = over;
  return {
    version: 'v2',
    variant: 'canary',
    deviceId: 'd1',
    metric: 'pm25',
    startHour: T0,
    p10: [level - 1, level - 1],
    p50: [level, level],
    p90: [level + 1, level + 1],
    ...rest,
  };
};
const shadowOf = (over: Partial<ServedSample> & { level: number }) =>
  sample({ version: 'v1', variant: 'in-process', role: 'shadow', shadowOf: 'v2', ...over });
/** Every device reads 10 in both forecast hours. */
const actualOf = (): ActualSeries => ({ startHour: T0, values: [10, 10] });

describe('scoreHour with shadows', () => {
  it('scores a shadow apart from the served forecast of the same request, each once', () => {
    // Act: the canary forecasts 12, its shadow 10; a duplicate of each (two instances).
    const { rows, forecasts } = scoreHour(
      [
        sample({ level: 12 }),
        shadowOf({ level: 10 }),
        sample({ level: 12 }),
        shadowOf({ level: 10 }),
      ],
      actualOf,
    );

    // Assess
    expect(rows.map((r) => [r.version, roleOf(r), r.shadowOf, r.sums.n])).toEqual([
      ['v1', 'shadow', 'v2', 2],
      ['v2', 'served', undefined, 2],
    ]);
    expect(rows.find((r) => r.version === 'v1')?.sums.pinball.p50).toBe(0);
    expect(rows.find((r) => r.version === 'v2')?.sums.pinball.p50).toBe(4);
    // Served rows keep the shape they had before shadows existed.
    expect(Object.keys(rows.find((r) => r.version === 'v2') ?? {})).not.toContain('role');
    expect(forecasts.map((f) => f.role)).toEqual(['shadow', undefined]);
  });
});

describe('fleetRows with shadows', () => {
  const scored = (samples: ServedSample[]): ScoreRow[] => scoreHour(samples, actualOf).rows;

  it("pairs each shadow with the canary's forecast of the same device, and drops a shadow without one", () => {
    // Prepare: canary on d1 and d2 with shadows; a shadow on d3 whose canary sample is missing;
    // the champion served d4 (its own device).
    const rows = scored([
      sample({ deviceId: 'd1', level: 12 }),
      sample({ deviceId: 'd2', level: 14 }),
      shadowOf({ deviceId: 'd1', level: 10 }),
      shadowOf({ deviceId: 'd2', level: 11 }),
      shadowOf({ deviceId: 'd3', level: 30 }),
      sample({ deviceId: 'd4', version: 'v1', variant: 'in-process', level: 10 }),
    ]);

    // Act
    const fleet = fleetRows(rows);

    // Assess: served totals per version as before; one shadow total over d1 and d2 only.
    const served = fleet.filter((r) => roleOf(r) === 'served');
    expect(served.map((r) => [r.version, r.devices, r.sums.n]).sort()).toEqual([
      ['v1', 1, 2],
      ['v2', 2, 4],
    ]);
    const shadows = fleet.filter((r) => roleOf(r) === 'shadow');
    expect(shadows).toHaveLength(1);
    expect(shadows[0]).toMatchObject({ version: 'v1', shadowOf: 'v2', devices: 2 });
    // p50 pinball per point is |y − q̂|: the shadow 0 + 0 (d1) + 1 + 1 (d2); the canary 2·2 + 4·2.
    expect(shadows[0]?.sums.n).toBe(4);
    expect(shadows[0]?.sums.pinball.p50).toBe(2);
    expect(shadows[0]?.paired?.n).toBe(4);
    expect(shadows[0]?.paired?.pinball.p50).toBe(12);
  });

  it('reads rows without a role (written before shadows) as served', () => {
    const old: ScoreRow = {
      version: 'v1',
      variant: 'x',
      deviceId: 'd1',
      metric: 'pm25',
      sums: { n: 1, absActual: 10, pinball: { p10: 1, p50: 1, p90: 1 }, covered: 1 },
    };
    expect(fleetRows([old])).toEqual([
      { version: 'v1', variant: 'x', metric: 'pm25', devices: 1, sums: old.sums },
    ]);
  });
});
