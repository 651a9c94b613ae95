import { describe, expect, it } from 'vitest';
import { METRICS } from '../../../core/metrics.js';
import { parseTelemetry } from '../../../core/telemetry.js';
import {
  deviceProfile,
  episodeFactor,
  legacyPayload,
  localDayOfWeek,
  localHourOfDay,
  simulatedDeviceIds,
  syntheticReading,
} from '../../../device/synthetic.js';

const HOUR = 3_600_000;
const START = Date.UTC(2024, 0, 1);

/** A week of hourly readings of one device. */
const week = (seed: number, deviceId: string) =>
  Array.from({ length: 7 * 24 }, (_, i) =>
    syntheticReading({ seed, deviceId, ts: START + i * HOUR, seq: i }),
  );

/** Mean of the reported values (dropouts are null). */
const mean = (values: Array<number | null>) => {
  const reported = values.filter((v): v is number => v !== null);
  return reported.reduce((sum, v) => sum + v, 0) / reported.length;
};

describe('simulatedDeviceIds', () => {
  it('numbers devices from sim-001, zero-padded', () => {
    expect(simulatedDeviceIds(3)).toEqual(['sim-001', 'sim-002', 'sim-003']);
    expect(simulatedDeviceIds(12).at(-1)).toBe('sim-012');
  });
});

describe('syntheticReading', () => {
  it('is deterministic for the same seed, device and time', () => {
    // Act
    const a = syntheticReading({ seed: 5, deviceId: 'sim-001', ts: START, seq: 1 });
    const b = syntheticReading({ seed: 5, deviceId: 'sim-001', ts: START, seq: 1 });

    // Assess
    expect(a).toEqual(b);
  });

  it('differs between seeds and between devices', () => {
    const base = syntheticReading({ seed: 5, deviceId: 'sim-001', ts: START, seq: 1 });
    expect(syntheticReading({ seed: 6, deviceId: 'sim-001', ts: START, seq: 1 })).not.toEqual(base);
    expect(syntheticReading({ seed: 5, deviceId: 'sim-002', ts: START, seq: 1 }).pm25).not.toBe(
      base.pm25,
    );
  });

  it('produces valid telemetry v1 with plausible, non-negative values', () => {
    // Prepare
    const readings = [1, 2, 3].flatMap((seed) => week(seed, `sim-00${seed}`));

    // Assess
    for (const reading of readings) {
      expect(parseTelemetry(reading, { now: START + 8 * 24 * HOUR }).ok).toBe(true);
      for (const metric of METRICS) {
        if (reading[metric] !== null) expect(reading[metric]).toBeGreaterThanOrEqual(0);
      }
      expect(reading.lat).toBeGreaterThan(39.7);
      expect(reading.lat).toBeLessThan(40.1);
      expect(reading.lon).toBeGreaterThan(116.1);
      expect(reading.lon).toBeLessThan(116.7);
      if (reading.pm10 !== null && reading.pm25 !== null) {
        expect(reading.pm10).toBeGreaterThan(reading.pm25);
      }
    }
    const pm25 = mean(readings.map((r) => r.pm25));
    expect(pm25).toBeGreaterThan(10);
    expect(pm25).toBeLessThan(150);
    const co = mean(readings.map((r) => r.co));
    expect(co).toBeGreaterThan(100);
    expect(co).toBeLessThan(5000);
  });

  it('shows the daily cycle: afternoon ozone above night ozone, rush-hour PM2.5 above midday', () => {
    // Prepare
    const readings = week(11, 'sim-004');
    const at = (from: number, to: number) =>
      readings.filter((r) => {
        const hour = localHourOfDay(Date.parse(r.ts));
        return hour >= from && hour < to;
      });

    // Assess
    expect(mean(at(13, 17).map((r) => r.o3))).toBeGreaterThan(2 * mean(at(1, 5).map((r) => r.o3)));
    expect(mean(at(7, 10).map((r) => r.pm25))).toBeGreaterThan(mean(at(12, 15).map((r) => r.pm25)));
  });

  it('drops about one value in a hundred, never the same metric of every device at once', () => {
    // Prepare
    const readings = [1, 2, 3, 4].flatMap((seed) => week(seed, `sim-00${seed}`));
    // Act
    const values = readings.flatMap((r) => METRICS.map((m) => r[m]));
    const dropped = values.filter((v) => v === null).length / values.length;
    // Assess
    expect(dropped).toBeGreaterThan(0.002);
    expect(dropped).toBeLessThan(0.03);
  });

  it('has a weekly cycle: weekday rush-hour CO above weekend rush-hour CO', () => {
    // Prepare: four weeks of one device, rush hour only (START is a Monday)
    const readings = Array.from({ length: 28 * 24 }, (_, i) =>
      syntheticReading({ seed: 8, deviceId: 'sim-001', ts: START + i * HOUR, seq: i }),
    ).filter((r) => {
      const hour = localHourOfDay(Date.parse(r.ts));
      return hour >= 7 && hour < 10;
    });
    // Act
    const weekend = readings.filter((r) => localDayOfWeek(Date.parse(r.ts)) >= 5);
    const weekday = readings.filter((r) => localDayOfWeek(Date.parse(r.ts)) < 5);
    // Assess
    expect(mean(weekday.map((r) => r.co))).toBeGreaterThan(1.1 * mean(weekend.map((r) => r.co)));
  });

  it('has haze episodes that build up over days and clear within hours', () => {
    // Prepare: 60 days of the episode multiplier
    const factors = Array.from({ length: 60 * 24 }, (_, i) => episodeFactor(3, START + i * HOUR));
    // Assess: some episodes reach a high level, most hours are clean
    expect(Math.max(...factors)).toBeGreaterThan(1.5);
    expect(factors.filter((f) => f === 1).length).toBeGreaterThan(factors.length / 3);
    // no jump up by more than a build-up step allows; clearing is steeper than building up
    const ups = factors.slice(1).map((f, i) => f - (factors[i] as number));
    expect(Math.max(...ups)).toBeLessThan(0.15);
    expect(Math.min(...ups)).toBeLessThan(-0.15);
  });

  it('keeps a device at one stable position', () => {
    const readings = week(3, 'sim-009');
    const profile = deviceProfile(3, 'sim-009');
    expect(new Set(readings.map((r) => `${r.lat},${r.lon}`))).toEqual(
      new Set([`${profile.lat},${profile.lon}`]),
    );
  });
});

describe('localHourOfDay', () => {
  it('follows Beijing time (UTC+8)', () => {
    expect(localHourOfDay(Date.UTC(2024, 0, 1, 0, 30))).toBe(8.5);
    expect(localHourOfDay(Date.UTC(2024, 0, 1, 20, 0))).toBe(4);
    // 2024-01-01 was a Monday; 16:00 UTC on Saturday the 6th is already Sunday in Beijing.
    expect(localDayOfWeek(Date.UTC(2024, 0, 1, 0))).toBe(0);
    expect(localDayOfWeek(Date.UTC(2024, 0, 6, 16))).toBe(6);
  });
});

describe('legacyPayload', () => {
  it("maps to the original blog post's fields, which the ingest side maps back", () => {
    // Prepare
    const reading = syntheticReading({ seed: 2, deviceId: 'sim-001', ts: START, seq: 9 });

    // Act
    const legacy = legacyPayload(reading);
    const parsed = parseTelemetry(legacy, { topicDeviceId: 'sim-001', now: START });

    // Assess
    expect(legacy).toEqual({
      ozone: reading.o3,
      particullate_matter: reading.pm25,
      carbon_monoxide: reading.co,
      sulfure_dioxide: reading.so2,
      nitrogen_dioxide: reading.no2,
      longitude: reading.lon,
      latitude: reading.lat,
      timestamp: START,
    });
    expect(parsed).toMatchObject({
      ok: true,
      reading: { deviceId: 'sim-001', ts: START, o3: reading.o3, pm25: reading.pm25 },
    });
  });
});
