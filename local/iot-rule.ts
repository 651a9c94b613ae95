// Local twin of the IoT topic rule
//   SELECT *, timestamp() AS receivedAt, topic() AS topic FROM 'smogcast/+/telemetry'
// Pure: a message either becomes the record Firehose delivers to raw/, or an error record for
// errors/ (the rule's error action), carrying the original payload base64-encoded and a reason.
import { deviceIdFromTopic } from '../functions/common/telemetry.js';

export interface RuleErrorRecord {
  errorCode: string;
  errorMessage: string;
  topic: string;
  arrivalTimestamp: number;
  rawData: string;
}

export type RuleOutcome =
  | { kind: 'record'; line: string }
  | { kind: 'error'; line: string; reason: string }
  | { kind: 'ignored' };

/** Payloads above IoT Core's message size limit (128 KiB) are rejected, as IoT Core does. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

const errorLine = (
  topic: string,
  payload: Uint8Array,
  now: number,
  code: string,
  reason: string,
) => {
  const record: RuleErrorRecord = {
    errorCode: code,
    errorMessage: reason,
    topic,
    arrivalTimestamp: now,
    rawData: Buffer.from(payload).toString('base64'),
  };
  return { kind: 'error' as const, line: JSON.stringify(record), reason };
};

export const applyTelemetryRule = (
  topic: string,
  payload: Uint8Array,
  now: number,
): RuleOutcome => {
  if (deviceIdFromTopic(topic) === undefined) return { kind: 'ignored' };
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return errorLine(
      topic,
      payload,
      now,
      'PayloadTooLarge',
      `payload exceeds ${MAX_PAYLOAD_BYTES} bytes`,
    );
  }
  let message: unknown;
  try {
    message = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return errorLine(topic, payload, now, 'InvalidJson', 'payload is not valid JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return errorLine(topic, payload, now, 'NotAnObject', 'payload is not a JSON object');
  }
  return { kind: 'record', line: JSON.stringify({ ...message, receivedAt: now, topic }) };
};
