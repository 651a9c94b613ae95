import { describe, expect, it } from 'vitest';
import { applyTelemetryRule, MAX_PAYLOAD_BYTES } from '../../../local/iot-rule.js';

const NOW = Date.parse('2025-11-24T16:00:00Z');
const TOPIC = 'smogcast/sim-001/telemetry';
const bytes = (text: string) => new TextEncoder().encode(text);
const errorRecord = (outcome: ReturnType<typeof applyTelemetryRule>) => {
  expect(outcome.kind).toBe('error');
  return JSON.parse(outcome.kind === 'error' ? outcome.line : '{}');
};

describe('local IoT topic rule', () => {
  it('adds receivedAt and topic to a valid v1 message, keeping every field', () => {
    // Prepare
    const message = { deviceId: 'sim-001', ts: '2025-11-24T15:45:00Z', seq: 7, pm25: 3 };
    // Act
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(message)), NOW);
    // Assess
    expect(outcome).toMatchObject({ kind: 'record', deviceId: 'sim-001' });
    expect(JSON.parse(outcome.kind === 'record' ? outcome.line : '{}')).toEqual({
      ...message,
      receivedAt: NOW,
      topic: TOPIC,
    });
  });

  it('accepts the legacy payload, keeping its shape for the ETL', () => {
    const legacy = { ozone: 40, particullate_matter: 12, timestamp: NOW - 60_000 };
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(legacy)), NOW);
    expect(outcome.kind).toBe('record');
    expect(JSON.parse(outcome.kind === 'record' ? outcome.line : '{}')).toEqual({
      ...legacy,
      receivedAt: NOW,
      topic: TOPIC,
    });
  });

  it('overwrites receivedAt and topic sent by the device', () => {
    const message = { deviceId: 'sim-001', ts: '2025-11-24T15:45:00Z', receivedAt: 1, topic: 'x' };
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(message)), NOW);
    expect(JSON.parse(outcome.kind === 'record' ? outcome.line : '{}')).toMatchObject({
      receivedAt: NOW,
      topic: TOPIC,
    });
  });

  it.each([
    ['not JSON', 'pm25=3', 'InvalidJson', /not valid JSON/],
    ['a JSON array', '[1,2]', 'NotAnObject', /not a JSON object/],
    ['oversized', `{"x":"${'a'.repeat(MAX_PAYLOAD_BYTES)}"}`, 'PayloadTooLarge', /exceeds/],
    [
      'a spoofed device id',
      '{"deviceId":"sim-002","ts":"2025-11-24T15:45:00Z"}',
      'InvalidTelemetry',
      /does not match topic device sim-001/,
    ],
    [
      'a far-future timestamp',
      '{"deviceId":"sim-001","ts":"2031-01-01T00:00:00Z"}',
      'InvalidTelemetry',
      /too far in the future/,
    ],
    [
      'a wrong type',
      '{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","pm25":"12"}',
      'InvalidTelemetry',
      /pm25/,
    ],
    [
      'a reading with one extra field nested 10,000 deep',
      `{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`,
      'NestedTooDeep',
      /deeper than 32 levels/,
    ],
    [
      'a reading from 1900',
      '{"deviceId":"sim-001","ts":"1900-01-01T00:00:00Z"}',
      'InvalidTelemetry',
      /is before 2000-01-01/,
    ],
    [
      'a reading 23 hours ahead',
      '{"deviceId":"sim-001","ts":"2025-11-25T15:00:00Z"}',
      'InvalidTelemetry',
      /too far in the future/,
    ],
    [
      'a huge number',
      '{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","co":1e400}',
      'InvalidTelemetry',
      /co/,
    ],
  ])(
    'sends %s to errors/ with the payload base64-encoded and a reason',
    (_name, payload, code, reason) => {
      // Act
      const record = errorRecord(applyTelemetryRule(TOPIC, bytes(payload), NOW));
      // Assess
      expect(record.errorCode).toBe(code);
      expect(record.errorMessage).toMatch(reason);
      expect(Buffer.from(record.rawData, 'base64').toString()).toBe(payload);
      expect(record).toMatchObject({ topic: TOPIC, arrivalTimestamp: NOW });
    },
  );

  it('keeps non-UTF-8 payloads byte for byte', () => {
    const payload = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
    const record = errorRecord(applyTelemetryRule(TOPIC, payload, NOW));
    expect([...Buffer.from(record.rawData, 'base64')]).toEqual([...payload]);
  });

  it('quarantines a valid reading with an invalid byte in a string rather than store U+FFFD', () => {
    // Prepare: a note field holding 0xff
    const payload = Buffer.concat([
      Buffer.from('{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","note":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    // Act
    const record = errorRecord(applyTelemetryRule(TOPIC, payload, NOW));
    // Assess
    expect(record).toMatchObject({ errorCode: 'InvalidUtf8', errorMessage: /not valid UTF-8/ });
    expect(Buffer.from(record.rawData, 'base64').equals(payload)).toBe(true);
  });

  it('accepts an extra field nested to the limit and prints it back whole', () => {
    const extra = `${'['.repeat(31)}${']'.repeat(31)}`;
    const payload = `{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","x":${extra}}`;
    const outcome = applyTelemetryRule(TOPIC, bytes(payload), NOW);
    expect(outcome.kind).toBe('record');
    expect(outcome.kind === 'record' && outcome.line).toContain(`"x":${extra}`);
  });

  it('ignores topics the rule does not select', () => {
    expect(applyTelemetryRule('smogcast/sim-001/status', bytes('{}'), NOW)).toEqual({
      kind: 'ignored',
    });
  });

  it('passes a batch whose envelope is sound to raw/, its readings left to the ETL', () => {
    // Prepare: the second reading is bad; the ETL quarantines it, the rule keeps the batch.
    const batch = {
      deviceId: 'sim-001',
      readings: [
        { ts: '2025-11-24T15:44:00Z', seq: 1, pm25: 3 },
        { ts: '2025-11-24T15:45:00Z', seq: 2, pm25: -3 },
      ],
    };
    // Act
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(batch)), NOW);
    // Assess
    expect(outcome).toMatchObject({ kind: 'record', deviceId: 'sim-001' });
    expect(JSON.parse(outcome.kind === 'record' ? outcome.line : '{}')).toEqual({
      ...batch,
      receivedAt: NOW,
      topic: TOPIC,
    });
  });

  it('rejects a batch with a bad envelope or another device id', () => {
    const spoofed = { deviceId: 'sim-002', readings: [{ ts: '2025-11-24T15:44:00Z' }] };
    expect(
      errorRecord(applyTelemetryRule(TOPIC, bytes(JSON.stringify(spoofed)), NOW)),
    ).toMatchObject({
      errorCode: 'InvalidTelemetry',
      errorMessage: 'deviceId sim-002 does not match topic device sim-001',
    });
    const empty = { deviceId: 'sim-001', readings: [] };
    expect(errorRecord(applyTelemetryRule(TOPIC, bytes(JSON.stringify(empty)), NOW))).toMatchObject(
      {
        errorMessage: 'readings: must hold 1-500 readings',
      },
    );
  });

  it('accepts Basic Ingest to the telemetry rule, stamping the topic the rule sees', () => {
    // Prepare
    const message = { deviceId: 'sim-001', ts: '2025-11-24T15:45:00Z', pm25: 3 };
    const payload = bytes(JSON.stringify(message));
    // Act
    const outcome = applyTelemetryRule(`$aws/rules/smogcast_telemetry_dev/${TOPIC}`, payload, NOW);
    // Assess: the same raw line as a broker publish; other rules are not the telemetry rule.
    expect(outcome).toEqual(applyTelemetryRule(TOPIC, payload, NOW));
    for (const rule of ['smogcast_telemetry_rejects_dev', 'other']) {
      expect(applyTelemetryRule(`$aws/rules/${rule}/${TOPIC}`, payload, NOW)).toEqual({
        kind: 'ignored',
      });
    }
  });
});
