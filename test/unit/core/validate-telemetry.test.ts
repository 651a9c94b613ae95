// The ETL's hand-written validator must give exactly what the zod schema gives (the telemetry
// contract), except that it also refuses calendar dates V8's Date.parse rolls over.
import { describe, expect, it } from 'vitest';
import { parseTelemetry } from '../../../core/telemetry.js';
import { validateTelemetry } from '../../../core/validate-telemetry.js';

const NOW = Date.UTC(2026, 10, 25, 12);

/** Seeded generator of messages mixing valid and invalid values per field. */
const messages = (count: number): unknown[] => {
  let state = 7;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const numbers = [
    0,
    1,
    -1,
    1.5,
    40,
    90,
    90.5,
    -180,
    181,
    100_000,
    100_001,
    2 ** 53,
    -1e300,
    Number.POSITIVE_INFINITY,
  ];
  const values = [undefined, null, 'x', '1', true, [], {}, ...numbers];
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const message: Record<string, unknown> = {
      deviceId: pick(['sim-001', 'a b', '', 7, undefined, 'x'.repeat(129), 'dev:1.2_3']),
      ts: pick([
        '2026-11-25T10:00:00Z',
        '2026-11-25T10:00Z',
        '2026-11-25T10:00:00.5+00:00',
        '2026-11-27T10:00:00Z',
        '2026-11-25 10:00:00',
        'yesterday',
        1795601700000,
        undefined,
      ]),
    };
    for (const field of ['seq', 'lat', 'lon', 'o3', 'pm25', 'pm10', 'co', 'so2', 'no2']) {
      if (next() < 0.5) message[field] = next() < 0.6 ? pick(numbers) : pick(values);
    }
    if (next() < 0.1) {
      delete message.deviceId;
      message.ozone = pick(values);
      message.timestamp = pick([1795601700, '1795601700000', 'soon', -5, undefined]);
    }
    out.push(next() < 0.03 ? pick([null, [1], 'text', 5]) : message);
  }
  return out;
};

describe('validateTelemetry', () => {
  it('agrees with the zod schema on 5,000 generated messages', () => {
    // Prepare
    const cases = messages(5_000);
    let accepted = 0;

    for (const message of cases) {
      for (const topicDeviceId of [undefined, 'sim-001']) {
        // Act
        const fast = validateTelemetry(message, { now: NOW, topicDeviceId });
        const reference = parseTelemetry(message, { now: NOW, topicDeviceId });

        // Assess
        expect(fast, JSON.stringify(message)).toEqual(reference);
        if (fast.ok) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('refuses dates that Date.parse would roll over, unlike a bare Date.parse', () => {
    // Act
    const feb30 = validateTelemetry({ deviceId: 'a', ts: '2026-02-30T00:00:00Z' }, { now: NOW });
    const hour24 = validateTelemetry({ deviceId: 'a', ts: '2026-11-24T24:00:00Z' }, { now: NOW });

    // Assess
    expect(Number.isNaN(Date.parse('2026-02-30T00:00:00Z'))).toBe(false);
    expect(feb30).toEqual({ ok: false, reason: 'ts: not a valid date' });
    expect(hour24).toEqual({ ok: false, reason: 'ts: not a valid date' });
  });
});
