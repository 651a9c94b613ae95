// Local twin of the IoT topic rule
//   SELECT *, timestamp() AS receivedAt, topic() AS topic FROM 'smogcast/+/telemetry'
// (also reached by Basic Ingest, $aws/rules/smogcast_telemetry_<stage>/smogcast/<id>/telemetry)
// plus the validation the rule's reject path does on AWS: every message is checked against the
// telemetry contract (v1 or the legacy shape) before it reaches raw/, so the lake only holds
// readings the ETL can use. Pure: a message becomes either the record Firehose delivers to raw/
// (the original fields + receivedAt + topic, the shape the ETL reads) or an error record for
// errors/ in Firehose's error-record shape, with the original payload base64-encoded and a reason.
// The same validator as the ETL: one rule set (dates included) from the edge to the lake.
//
// Never throws, whatever the bytes: a message too deep to print or parse safely, invalid UTF-8
// and anything unforeseen become error records too (the broker acknowledges them: they are
// stored, in errors/), so a poison message cannot make a device resend it forever.
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepReason } from '../core/json-depth.js';
import {
  batchRecords,
  deviceIdFromTopic,
  isBatchMessage,
  parseTelemetry,
  ruleTopicOf,
  telemetryRuleName,
} from '../core/telemetry.js';

export interface RuleErrorRecord {
  errorCode: string;
  errorMessage: string;
  topic: string;
  arrivalTimestamp: number;
  rawData: string;
}

export type RuleOutcome =
  | { kind: 'record'; line: string; deviceId: string }
  | { kind: 'error'; line: string; reason: string; code: RuleErrorCode }
  | { kind: 'ignored' };

export type RuleErrorCode =
  | 'PayloadTooLarge'
  | 'InvalidUtf8'
  | 'NestedTooDeep'
  | 'InvalidJson'
  | 'NotAnObject'
  | 'InvalidTelemetry'
  | 'RuleFailure';

/** Every code an error record of the rule can carry. */
export const RULE_ERROR_CODES: readonly RuleErrorCode[] = [
  'PayloadTooLarge',
  'InvalidUtf8',
  'NestedTooDeep',
  'InvalidJson',
  'NotAnObject',
  'InvalidTelemetry',
  'RuleFailure',
];

/** Payloads above IoT Core's message size limit (128 KiB) are rejected, as IoT Core does. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

const errorOutcome = (
  topic: string,
  payload: Uint8Array,
  now: number,
  code: RuleErrorCode,
  reason: string,
): RuleOutcome => {
  const record: RuleErrorRecord = {
    errorCode: code,
    errorMessage: reason,
    topic,
    arrivalTimestamp: now,
    rawData: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64'),
  };
  return { kind: 'error', line: JSON.stringify(record), reason, code };
};

/** The telemetry rule of any stage (smogcast_telemetry_<stage>), not the reject rule. */
const LOCAL_RULE = new RegExp(`^${telemetryRuleName('(?!rejects_)[A-Za-z0-9_]+')}$`);

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const applyTelemetryRule = (
  publishedTopic: string,
  payload: Uint8Array,
  now: number,
): RuleOutcome => {
  // Basic Ingest ($aws/rules/<rule>/smogcast/<id>/telemetry) invokes the telemetry rule only,
  // which sees (and stamps) the topic without the prefix, as topic() does on AWS.
  const { topic, rule } = ruleTopicOf(publishedTopic);
  if (rule !== undefined && !LOCAL_RULE.test(rule)) return { kind: 'ignored' };
  const topicDeviceId = deviceIdFromTopic(topic);
  if (topicDeviceId === undefined) return { kind: 'ignored' };
  try {
    return checkedOutcome(topic, topicDeviceId, payload, now);
  } catch (error) {
    // A defect of the rule must not cost the message: it is kept with the reason.
    return errorOutcome(topic, payload, now, 'RuleFailure', `rule failed: ${String(error)}`);
  }
};

const checkedOutcome = (
  topic: string,
  topicDeviceId: string,
  payload: Uint8Array,
  now: number,
): RuleOutcome => {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return errorOutcome(
      topic,
      payload,
      now,
      'PayloadTooLarge',
      `payload of ${payload.byteLength} bytes exceeds ${MAX_PAYLOAD_BYTES} bytes`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    // Replacing the bad bytes with U+FFFD would store a reading the device never sent.
    return errorOutcome(topic, payload, now, 'InvalidUtf8', 'payload is not valid UTF-8');
  }
  if (nestsDeeperThan(payload, MAX_JSON_DEPTH)) {
    return errorOutcome(topic, payload, now, 'NestedTooDeep', tooDeepReason('payload'));
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return errorOutcome(topic, payload, now, 'InvalidJson', 'payload is not valid JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return errorOutcome(topic, payload, now, 'NotAnObject', 'payload is not a JSON object');
  }
  // The same check the ETL repeats, against the same clock (receivedAt): a record that passes
  // here can never be quarantined later, and a spoofed device id never reaches raw/.
  if (isBatchMessage(message as Record<string, unknown>)) {
    // A batch: the envelope is checked here (as the AWS rule's WHERE can), each reading by the
    // ETL, which curates the good ones and quarantines a bad one with its reason.
    const records = batchRecords(message as Record<string, unknown>);
    if ('reason' in records) {
      return errorOutcome(topic, payload, now, 'InvalidTelemetry', records.reason);
    }
    const { deviceId } = message as { deviceId?: unknown };
    if (deviceId !== undefined && deviceId !== topicDeviceId) {
      const reason = `deviceId ${String(deviceId)} does not match topic device ${topicDeviceId}`;
      return errorOutcome(topic, payload, now, 'InvalidTelemetry', reason);
    }
  } else {
    const parsed = parseTelemetry(message, { topicDeviceId, now });
    if (!parsed.ok) return errorOutcome(topic, payload, now, 'InvalidTelemetry', parsed.reason);
  }
  // receivedAt/topic from the device are overwritten, as the AWS rule's AS aliases do.
  return {
    kind: 'record',
    line: JSON.stringify({ ...message, receivedAt: now, topic }),
    deviceId: topicDeviceId,
  };
};
