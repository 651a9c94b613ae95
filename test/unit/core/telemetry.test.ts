// The telemetry contract's one validator: what it accepts, how it normalises, and the reason
// it gives for each rejection (the quarantine records it).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  deviceIdFromTopic,
  MAX_CONCENTRATION,
  parseTelemetry,
  type Reading,
  telemetryTopic,
} from '../../../core/telemetry.js';
import { generatedMessages, VERDICTS_NOW } from '../../fixtures/telemetry/generated-messages.js';

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
      reading: { ...good, ts: Date.parse('2026-11-25T11:00:00Z'), so2: null, no2: null },
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

interface Verdicts {
  issues: string[];
  /** Per message and topic: the reading, or the indices of the reason's parts in `issues`. */
  verdicts: Array<Reading | number[]>;
}

const recorded = JSON.parse(
  readFileSync(
    new URL('../../fixtures/telemetry/generated-verdicts.json', import.meta.url),
    'utf8',
  ),
) as Verdicts;

describe('parseTelemetry on generated messages', () => {
  it('gives the recorded verdict and reason for 5,000 messages, with and without a topic', () => {
    // Prepare
    const cases = generatedMessages(5_000).flatMap((message) =>
      [undefined, 'sim-001'].map((topicDeviceId) => ({ message, topicDeviceId })),
    );
    let accepted = 0;
    expect(cases).toHaveLength(recorded.verdicts.length);

    cases.forEach(({ message, topicDeviceId }, i) => {
      // Act
      const result = parseTelemetry(message, { now: VERDICTS_NOW, topicDeviceId });

      // Assess
      const verdict = recorded.verdicts[i];
      const expected = Array.isArray(verdict)
        ? { ok: false, reason: verdict.map((part) => recorded.issues[part]).join('; ') }
        : { ok: true, reading: verdict };
      expect(result, JSON.stringify({ message, topicDeviceId })).toEqual(expected);
      if (result.ok) accepted++;
    });
    expect(accepted).toBeGreaterThan(100);
  });

  it('refuses dates that Date.parse would roll over, unlike a bare Date.parse', () => {
    // Act
    const feb30 = parseTelemetry({ deviceId: 'a', ts: '2026-02-30T00:00:00Z' }, { now: NOW });
    const hour24 = parseTelemetry({ deviceId: 'a', ts: '2026-11-24T24:00:00Z' }, { now: NOW });

    // Assess
    expect(Number.isNaN(Date.parse('2026-02-30T00:00:00Z'))).toBe(false);
    expect(feb30).toEqual({ ok: false, reason: 'ts: not a valid date' });
    expect(hour24).toEqual({ ok: false, reason: 'ts: not a valid date' });
  });
});
