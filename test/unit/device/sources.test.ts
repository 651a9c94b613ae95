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
