import { describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../../core/curated/rows.js';
import {
  applyTelemetryRule,
  LOCAL_TELEMETRY_RULE,
  MAX_PAYLOAD_BYTES,
  type RuleOutcome,
} from '../../../local/iot-rule.js';

const NOW = Date.parse('2025-11-24T16:00:00Z');
const TOPIC = 'smogcast/sim-001/telemetry';
const BASIC = `$aws/rules/${LOCAL_TELEMETRY_RULE}/${TOPIC}`;
const bytes = (text: string) => new TextEncoder().encode(text);
const lineOf = (outcome: RuleOutcome): string => {
  expect(outcome.kind).toBe('record');
  return outcome.kind === 'record' ? outcome.line : '';
};
/** What the ETL (and update-context) make of the record the rule delivered to raw/. */
const etlReasons = (outcome: RuleOutcome): string[] => {
  const parsed = parseRawMessage(lineOf(outcome), NOW);
  return (Array.isArray(parsed) ? parsed : [parsed]).map((r) => (r.ok ? 'ok' : r.reason));
};

describe('local IoT topic rule', () => {
  it('adds receivedAt and topic to a valid v1 message, keeping every field', () => {
    // Prepare
    const message = { deviceId: 'sim-001', ts: '2025-11-24T15:45:00Z', seq: 7, pm25: 3 };
    // Act
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(message)), NOW);
    // Assess
    expect(outcome).toMatchObject({ kind: 'record', deviceId: 'sim-001' });
    expect(JSON.parse(lineOf(outcome))).toEqual({ ...message, receivedAt: NOW, topic: TOPIC });
    expect(etlReasons(outcome)).toEqual(['ok']);
  });

  it('accepts the legacy payload, keeping its shape for the ETL', () => {
    const legacy = { ozone: 40, particullate_matter: 12, timestamp: NOW - 60_000 };
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(legacy)), NOW);
    expect(JSON.parse(lineOf(outcome))).toEqual({ ...legacy, receivedAt: NOW, topic: TOPIC });
    expect(etlReasons(outcome)).toEqual(['ok']);
  });

  it('overwrites receivedAt and topic sent by the device', () => {
    const message = { deviceId: 'sim-001', ts: '2025-11-24T15:45:00Z', receivedAt: 1, topic: 'x' };
    const outcome = applyTelemetryRule(TOPIC, bytes(JSON.stringify(message)), NOW);
    expect(JSON.parse(lineOf(outcome))).toMatchObject({ receivedAt: NOW, topic: TOPIC });
  });

  it.each([
    [
      'a spoofed device id',
      '{"deviceId":"sim-002","ts":"2025-11-24T15:45:00Z"}',
      /does not match topic device sim-001/,
    ],
    ['no timestamp', '{"deviceId":"sim-001","pm25":3}', /^ts: /],
    ['a far-future timestamp', '{"deviceId":"sim-001","ts":"2031-01-01T00:00:00Z"}', /future/],
    ['a wrong type', '{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","pm25":"12"}', /pm25/],
    ['a reading from 1900', '{"deviceId":"sim-001","ts":"1900-01-01T00:00:00Z"}', /before 2000/],
    ['a huge number', '{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","co":1e400}', /co/],
    [
      'a seq beyond 2^53',
      '{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","seq":123456789012345678901}',
      /seq: Too big/,
    ],
    ['an empty batch', '{"deviceId":"sim-001","readings":[]}', /must hold 1-500 readings/],
    [
      'a batch of another device',
      '{"deviceId":"sim-002","readings":[{"ts":"2025-11-24T15:44:00Z"}]}',
      /does not match topic device sim-001/,
    ],
  ])(
    'delivers %s to raw/, where the ETL quarantines it with a reason',
    (_name, payload, reason) => {
      for (const topic of [TOPIC, BASIC]) {
        // Act: as AWS evaluates the rule, no WHERE keeps a parsable message out of raw/
        const outcome = applyTelemetryRule(topic, bytes(payload), NOW);
        // Assess
        // The device's text, each value as sent (1e400 too), then the rule's two fields.
        expect(lineOf(outcome)).toBe(
          `${payload.slice(0, -1)},"receivedAt":${NOW},"topic":${JSON.stringify(TOPIC)}}`,
        );
        const reasons = etlReasons(outcome);
        expect(reasons).toHaveLength(1);
        expect(reasons[0]).toMatch(reason);
      }
    },
  );

  it('stamps an empty payload, as the rule adds fields to it; the ETL names what is missing', () => {
    const outcome = applyTelemetryRule(BASIC, new Uint8Array(0), NOW);
    expect(JSON.parse(lineOf(outcome))).toEqual({ receivedAt: NOW, topic: TOPIC });
    expect(etlReasons(outcome)[0]).toMatch(/^deviceId: /);
  });

  it.each([
    ['not JSON', bytes('pm25=3')],
    ['a JSON array', bytes('[1,2]')],
    ['a JSON number', bytes('42')],
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x00, 0x41])],
    [
      'a reading with one extra field nested 10,000 deep',
      bytes(`{"deviceId":"sim-001","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`),
    ],
  ])('drops %s with a reason, as AWS counts a ParseError and stores nothing', (_name, payload) => {
    for (const topic of [TOPIC, BASIC]) {
      const outcome = applyTelemetryRule(topic, payload, NOW);
      expect(outcome).toMatchObject({ kind: 'dropped', code: 'ParseError' });
      expect(outcome.kind === 'dropped' && outcome.reason).toMatch(/payload/);
    }
  });

  it('drops a payload over the message size limit, which never reaches a rule', () => {
    const payload = bytes(`{"x":"${'a'.repeat(MAX_PAYLOAD_BYTES)}"}`);
    expect(applyTelemetryRule(TOPIC, payload, NOW)).toMatchObject({
      kind: 'dropped',
      code: 'PayloadTooLarge',
      reason: expect.stringMatching(/exceeds/),
    });
  });

  it('accepts an extra field nested to the limit and prints it back whole', () => {
    const extra = `${'['.repeat(31)}${']'.repeat(31)}`;
    const payload = `{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z","x":${extra}}`;
    expect(lineOf(applyTelemetryRule(TOPIC, bytes(payload), NOW))).toContain(`"x":${extra}`);
  });

  it('ignores broker topics the FROM filter does not match', () => {
    expect(applyTelemetryRule('smogcast/sim-001/status', bytes('{}'), NOW)).toEqual({
      kind: 'ignored',
      reason: 'no rule selects topic smogcast/sim-001/status',
    });
  });

  it('passes a batch to raw/, each reading judged by the ETL on its own', () => {
    // Prepare: the second reading is bad; the ETL quarantines it, the first is curated.
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
    expect(etlReasons(outcome)).toEqual(['ok', 'readings[1]: pm25: must not be negative']);
  });

  describe('Basic Ingest', () => {
    it('gives the same record as a broker publish: topic() has no $aws/rules prefix', () => {
      const payload = bytes(JSON.stringify({ deviceId: 'sim-001', ts: '2025-11-24T15:45:00Z' }));
      expect(applyTelemetryRule(BASIC, payload, NOW)).toEqual(
        applyTelemetryRule(TOPIC, payload, NOW),
      );
    });

    it('invokes only the rule it names: any other name has no rule behind it', () => {
      const payload = bytes('{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z"}');
      for (const rule of ['smogcast_telemetry_rejects_dev', 'smogcast_telemetry_prod', 'other']) {
        expect(applyTelemetryRule(`$aws/rules/${rule}/${TOPIC}`, payload, NOW)).toEqual({
          kind: 'ignored',
          reason: `no rule named ${rule} (Basic Ingest)`,
        });
      }
      // A runtime standing in for another stage runs that stage's rule.
      const prod = applyTelemetryRule(
        `$aws/rules/smogcast_telemetry_prod/${TOPIC}`,
        payload,
        NOW,
        'smogcast_telemetry_prod',
      );
      expect(prod.kind).toBe('record');
    });

    it('skips the FROM filter: a topic it would not match still reaches raw/, then quarantine', () => {
      // Act
      const outcome = applyTelemetryRule(
        `$aws/rules/${LOCAL_TELEMETRY_RULE}/smogcast/sim-001/status`,
        bytes('{"deviceId":"sim-001","ts":"2025-11-24T15:45:00Z"}'),
        NOW,
      );
      // Assess
      expect(outcome).toMatchObject({ kind: 'record', deviceId: undefined });
      expect(JSON.parse(lineOf(outcome)).topic).toBe('smogcast/sim-001/status');
      expect(etlReasons(outcome)).toEqual([
        'topic: smogcast/sim-001/status is not a telemetry topic',
      ]);
    });
  });
});
