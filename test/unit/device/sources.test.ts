import { describe, expect, it } from 'vitest';
import { applyShift, type DeviceReading, syntheticSource } from '../../../device/sources.js';

const reading = (ts: string): DeviceReading => ({
  deviceId: 'sim-001',
  ts,
  seq: 1,
  lat: 39.9,
  lon: 116.4,
  o3: 10,
  pm25: 20.5,
  pm10: null,
  co: 500,
  so2: 3,
  no2: 40,
});

describe('distribution shift', () => {
  it('scales every pollutant of readings at or after the shift, leaving earlier ones alone', () => {
    const shift = { atMs: Date.parse('2026-11-25T12:00:00Z'), factor: 3 };
    expect(applyShift(reading('2026-11-25T11:59:59.000Z'), shift)).toEqual(
      reading('2026-11-25T11:59:59.000Z'),
    );
    expect(applyShift(reading('2026-11-25T12:00:00.000Z'), shift)).toMatchObject({
      o3: 30,
      pm25: 61.5,
      pm10: null,
      co: 1500,
      lat: 39.9,
    });
  });

  it('is applied by the synthetic source to the readings it generates', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    const options = {
      deviceIds: ['sim-001'],
      seed: 1,
      backfillHours: 4,
      stepMinutes: 60,
      intervalMs: 1000,
      now: () => now,
    };
    const plain = [...syntheticSource(options).backfill()];
    const shifted = [
      ...syntheticSource({
        ...options,
        shift: { atMs: now - 2 * 3_600_000, factor: 2 },
      }).backfill(),
    ];
    expect(shifted[0]).toEqual(plain[0]);
    const last = plain.at(-1);
    if (last?.co != null) expect(shifted.at(-1)?.co).toBeCloseTo(last.co * 2, 0);
    expect(shifted.at(-1)?.co).not.toBe(last?.co);
  });
});

describe('time offset', () => {
  it('stamps the readings of another time with their own times, seq and shift', () => {
    const HOUR = 3_600_000;
    const now = Date.parse('2026-12-02T12:00:00Z');
    const options = {
      deviceIds: ['sim-001'],
      seed: 11,
      backfillHours: 3,
      stepMinutes: 60,
      intervalMs: 1000,
    };
    const earlier = [...syntheticSource({ ...options, now: () => now - 72 * HOUR }).backfill()];
    const offset = [
      ...syntheticSource({
        ...options,
        now: () => now,
        timeOffsetMs: -72 * HOUR,
        shift: { atMs: now - HOUR, factor: 2 },
      }).backfill(),
    ];
    // Assess: the values are those 72 h earlier, the times (and so the seq) are the present's.
    expect(offset.map((r) => r.ts)).toEqual(
      earlier.map((r) => new Date(Date.parse(r.ts) + 72 * HOUR).toISOString()),
    );
    expect(offset[0]).toMatchObject({ o3: earlier[0]?.o3, pm25: earlier[0]?.pm25 });
    expect(offset[0]?.seq).not.toBe(earlier[0]?.seq);
    // The shift follows the stamped time: only the last reading is at or after it.
    const last = earlier.at(-1)?.co;
    if (last != null) expect(offset.at(-1)?.co).toBeCloseTo(last * 2, 0);
  });
});
