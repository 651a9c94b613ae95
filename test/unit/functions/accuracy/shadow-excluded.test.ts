// GET /accuracy shows served forecasts only: the champion's shadows of canary forecasts (scored
// for the canary check, never served) are left out of the device and the fleet views.
import { describe, expect, it } from 'vitest';
import {
  type FleetDay,
  fleetDayKey,
  fleetRows,
  type ScoredHour,
  type ServedSample,
  scoreHour,
  scoreKey,
  scoreShardOf,
} from '../../../../core/realised-accuracy.js';
import { deviceAccuracy, fleetAccuracy } from '../../../../functions/accuracy/accuracy.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-20T05:00:00Z');

const sample = (version: string, level: number, shadowOf?: string): ServedSample => ({
  version,
  variant: shadowOf ? 'in-process' : 'canary',
  deviceId: 'sim-001',
  metric: 'pm25',
  ...(shadowOf ? { role: 'shadow' as const, shadowOf } : {}),
  startHour: T0,
  p10: [level - 1],
  p50: [level],
  p90: [level + 1],
});

describe('GET /accuracy with shadow forecasts in the lake', () => {
  it('shows the served forecast and its scores, not the shadow beside it', async () => {
    // Prepare: one scored hour, as the scoring step writes it.
    const store = new MemoryObjectStore('lake');
    const { rows, forecasts } = scoreHour([sample('v2', 12), sample('v1', 10, 'v2')], () => ({
      startHour: T0,
      values: [10],
    }));
    const hour: ScoredHour = { v: 1, startHour: new Date(T0).toISOString(), rows, forecasts };
    await store.put(scoreKey(T0, scoreShardOf('sim-001')), JSON.stringify(hour));
    const day: FleetDay = { v: 1, date: '2026-11-20', hours: { '05': fleetRows(rows) } };
    await store.put(fleetDayKey('2026-11-20'), JSON.stringify(day));
    const options = { days: 1, now: T0 + 2 * HOUR, periodHours: 1 };

    // Act
    const device = await deviceAccuracy(store, { deviceId: 'sim-001', metric: 'pm25' }, options);
    const fleet = await fleetAccuracy(store, {}, options);

    // Assess: the lake holds both; the views only the served one, in their usual shape.
    expect(day.hours['05']?.map((r) => r.role ?? 'served').sort()).toEqual(['served', 'shadow']);
    expect(device.daily.map((d) => d.version)).toEqual(['v2']);
    expect(device.served).toEqual([
      {
        version: 'v2',
        variant: 'canary',
        start: new Date(T0).toISOString(),
        p10: [11],
        p50: [12],
        p90: [13],
        actual: [10],
      },
    ]);
    expect(fleet.daily.map((d) => [d.version, d.points])).toEqual([['v2', 1]]);
  });
});
