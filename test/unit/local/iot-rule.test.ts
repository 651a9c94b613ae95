import { describe, expect, it } from 'vitest';
import { applyTelemetryRule, MAX_PAYLOAD_BYTES } from '../../../local/iot-rule.js';

const NOW = 1_764_000_000_000;
const bytes = (text: string) => new TextEncoder().encode(text);

describe('local IoT topic rule', () => {
  it('adds receivedAt and topic to a JSON message, keeping every field', () => {
    const outcome = applyTelemetryRule(
      'smogcast/sim-001/telemetry',
      bytes('{"deviceId":"sim-001","pm25":3}'),
      NOW,
    );
    expect(outcome.kind).toBe('record');
    expect(JSON.parse(outcome.kind === 'record' ? outcome.line : '{}')).toEqual({
      deviceId: 'sim-001',
      pm25: 3,
      receivedAt: NOW,
      topic: 'smogcast/sim-001/telemetry',
    });
  });

  it.each([
    ['not JSON', 'pm25=3', 'InvalidJson'],
    ['a JSON array', '[1,2]', 'NotAnObject'],
    ['oversized', `{"x":"${'a'.repeat(MAX_PAYLOAD_BYTES)}"}`, 'PayloadTooLarge'],
  ])('sends %s to the error action with the payload base64-encoded', (_name, payload, code) => {
    const outcome = applyTelemetryRule('smogcast/sim-001/telemetry', bytes(payload), NOW);
    expect(outcome.kind).toBe('error');
    const record = JSON.parse(outcome.kind === 'error' ? outcome.line : '{}');
    expect(record.errorCode).toBe(code);
    expect(Buffer.from(record.rawData, 'base64').toString()).toBe(payload);
    expect(record.topic).toBe('smogcast/sim-001/telemetry');
  });

  it('ignores topics the rule does not select', () => {
    expect(applyTelemetryRule('smogcast/sim-001/status', bytes('{}'), NOW)).toEqual({
      kind: 'ignored',
    });
  });
});
