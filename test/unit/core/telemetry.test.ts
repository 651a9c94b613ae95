import { describe, expect, it } from 'vitest';
import {
  deviceIdFromTopic,
  MAX_CONCENTRATION,
  parseTelemetry,
  telemetryTopic,
} from '../../../core/telemetry.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const good = {
  deviceId: 'sim-001',
  ts: '2026-11-25T11:00:00Z',
  seq: 7,
  lat: 39.9,
  lon: 116.4,
  o3: 40.5,
  pm25: 12,
  pm10: null,
  co: 600,
};

describe('telemetry v1', () => {
  it('normalises a valid message, absent metrics becoming null', () => {
    // Act
    const result = parseTelemetry(good, { now: NOW, topicDeviceId: 'sim-001' });
    // Assess
    expect(result).toEqual({
      ok: true,
      reading: {
        deviceId: 'sim-001',
        ts: Date.parse('2026-11-25T11:00:00Z'),
        seq: 7,
        lat: 39.9,
        lon: 116.4,
        o3: 40.5,
        pm25: 12,
        pm10: null,
        co: 600,
        so2: null,
        no2: null,
      },
    });
  });

  it.each([
    ['not an object', 'hello', 'not a JSON object'],
    ['an array', [1, 2], 'not a JSON object'],
    ['a missing deviceId', { ...good, deviceId: undefined }, 'deviceId'],
    ['a bad device id', { ...good, deviceId: 'a/b' }, 'deviceId'],
    ['a string metric', { ...good, pm25: '12' }, 'pm25'],
    ['a negative metric', { ...good, o3: -1 }, 'o3: must not be negative'],
    ['an impossible metric', { ...good, co: MAX_CONCENTRATION + 1 }, 'co: must be at most'],
    ['a local-time timestamp', { ...good, ts: '2026-11-25T11:00:00+08:00' }, 'ts'],
    ['a far-future timestamp', { ...good, ts: '2027-01-01T00:00:00Z' }, 'too far in the future'],
    ['a latitude out of range', { ...good, lat: 91 }, 'lat'],
    ['a fractional seq', { ...good, seq: 1.5 }, 'seq'],
  ])('rejects %s with a reason', (_name, message, reason) => {
    // Act
    const result = parseTelemetry(message, { now: NOW });
    // Assess
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });

  it('rejects a device id that differs from the topic', () => {
    const result = parseTelemetry(good, { now: NOW, topicDeviceId: 'sim-002' });
    expect(result).toEqual({
      ok: false,
      reason: 'deviceId sim-001 does not match topic device sim-002',
    });
  });

  it('maps the legacy payload of the original device, taking the id from the topic', () => {
    // Prepare
    const legacy = {
      ozone: 41,
      particullate_matter: 13,
      carbon_monoxide: 700,
      sulfure_dioxide: 5,
      nitrogen_dioxide: 30,
      longitude: 116.4,
      latitude: 39.9,
      timestamp: Date.parse('2026-11-25T10:00:00Z') / 1000,
    };
    // Act
    const result = parseTelemetry(legacy, { now: NOW, topicDeviceId: 'legacy-1' });
    // Assess
    expect(result).toEqual({
      ok: true,
      reading: {
        deviceId: 'legacy-1',
        ts: Date.parse('2026-11-25T10:00:00Z'),
        seq: null,
        lat: 39.9,
        lon: 116.4,
        o3: 41,
        pm25: 13,
        pm10: null,
        co: 700,
        so2: 5,
        no2: 30,
      },
    });
  });

  it('derives the device id from telemetry topics only', () => {
    expect(deviceIdFromTopic(telemetryTopic('sim-001'))).toBe('sim-001');
    expect(deviceIdFromTopic('smogcast/sim-001/other')).toBeUndefined();
    expect(deviceIdFromTopic('other/sim-001/telemetry')).toBeUndefined();
  });
});
