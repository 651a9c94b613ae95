// Local twin of the IoT topic rule (serverless.yml TelemetryTopicRule), evaluated as AWS does:
//   SELECT *, timestamp() AS receivedAt, topic() AS topic FROM 'smogcast/+/telemetry'
// No WHERE: every message the rule can evaluate reaches raw/, valid or not, and the ETL and
// update-context (core/curated/rows) decide what is a reading, quarantining the rest with a
// reason. So a bad reading is never lost in the rule, whichever way it came in.
//
// How a publish reaches the rule, as on AWS:
// - through the broker, when its topic matches the FROM filter;
// - by Basic Ingest, `$aws/rules/<rule>/<topic>`: only the rule named is invoked (a name with no
//   rule behind it is RuleNotFound), its FROM filter is not applied, and topic() is <topic>,
//   without the prefix.
// What AWS cannot turn into a record is not stored here either: a payload that is not a JSON
// object cannot have fields added by `SELECT *, …` (AWS counts it as the rule's ParseError and
// runs no action, not even the error action), and a payload over the 128 KiB message limit never
// reaches a rule. Those come back as `dropped` with a reason for the caller to count (the twin's
// ParseError metric); nothing is claimed to be kept that AWS would not keep.
//
// Pure and never throws, whatever the bytes: a defect of this code becomes an error record for
// errors/ (it has no AWS counterpart, and must not make a device resend a message forever).
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepReason } from '../core/json-depth.js';
import {
  deviceIdFromTopic,
  ruleTopicOf,
  TOPIC_PREFIX,
  telemetryRuleName,
} from '../core/telemetry.js';

export interface RuleErrorRecord {
  errorCode: string;
  errorMessage: string;
  topic: string;
  arrivalTimestamp: number;
  rawData: string;
}

/** Why AWS would not deliver a message to any action: its rule metric's name. */
export type DroppedCode = 'ParseError' | 'PayloadTooLarge';

export type RuleOutcome =
  /** The record the Firehose action delivers; deviceId when topic() names one. */
  | { kind: 'record'; line: string; deviceId: string | undefined }
  /** No action runs on AWS, nothing is stored: to be counted. */
  | { kind: 'dropped'; code: DroppedCode; reason: string }
  /** A defect of the twin, kept for errors/ with the payload and the reason. */
  | { kind: 'error'; line: string; reason: string; code: 'RuleFailure' }
  /** No rule is invoked (no filter matches, or Basic Ingest names no rule). */
  | { kind: 'ignored'; reason: string };

/** Payloads above IoT Core's message size limit (128 KiB) never reach a rule. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** The rule of serverless.yml's default stage, which the local runtime stands in for. */
export const LOCAL_TELEMETRY_RULE = telemetryRuleName('dev');

/** The rule's FROM filter, smogcast/+/telemetry: `+` is one level, possibly empty. */
const matchesFrom = (topic: string): boolean => {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === TOPIC_PREFIX && parts[2] === 'telemetry';
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// A number JavaScript cannot hold (1e400, 2^70) would be printed back as null or rounded: a value
// the device never sent, and one the ETL would accept. Such numbers keep their text (the ETL then
// names them in a reason). The slow, source-aware parse runs only when the text may hold one.
const MAYBE_UNREPRESENTABLE = /\d{16}|[eE][+-]?\d{3}/;
type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;
const { rawJSON } = JSON as unknown as { rawJSON: (text: string) => unknown };
const keepText: SourceReviver = (_key, value, context) =>
  typeof value === 'number' &&
  context.source !== undefined &&
  (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))
    ? rawJSON(context.source)
    : value;
const parseKeepingNumbers = (text: string): unknown =>
  MAYBE_UNREPRESENTABLE.test(text)
    ? JSON.parse(text, keepText as unknown as (key: string, value: unknown) => unknown)
    : JSON.parse(text);

const dropped = (reason: string, code: DroppedCode = 'ParseError'): RuleOutcome => ({
  kind: 'dropped',
  code,
  reason,
});

/**
 * Runs one publish through the telemetry rule named `ruleName` (the local stage's by default).
 * `publishedTopic` is the topic as the client published it.
 */
export const applyTelemetryRule = (
  publishedTopic: string,
  payload: Uint8Array,
  now: number,
  ruleName: string = LOCAL_TELEMETRY_RULE,
): RuleOutcome => {
  const { topic, rule } = ruleTopicOf(publishedTopic);
  if (rule !== undefined) {
    if (rule !== ruleName)
      return { kind: 'ignored', reason: `no rule named ${rule} (Basic Ingest)` };
  } else if (!matchesFrom(topic)) {
    return { kind: 'ignored', reason: `no rule selects topic ${topic}` };
  }
  try {
    return evaluate(topic, payload, now);
  } catch (error) {
    const record: RuleErrorRecord = {
      errorCode: 'RuleFailure',
      errorMessage: `rule failed: ${String(error)}`,
      topic,
      arrivalTimestamp: now,
      rawData: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString(
        'base64',
      ),
    };
    return {
      kind: 'error',
      line: JSON.stringify(record),
      reason: record.errorMessage,
      code: 'RuleFailure',
    };
  }
};

/** The SELECT: the payload's fields, then receivedAt and topic (the aliases win over the device's). */
const evaluate = (topic: string, payload: Uint8Array, now: number): RuleOutcome => {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    return dropped(
      `payload of ${payload.byteLength} bytes exceeds ${MAX_PAYLOAD_BYTES} bytes`,
      'PayloadTooLarge',
    );
  }
  let message: Record<string, unknown> = {};
  // An empty payload can have fields added (AWS's binary-payload rules): a record of just them.
  if (payload.byteLength > 0) {
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      return dropped('payload is not valid UTF-8, so not JSON');
    }
    // Before parsing: JSON.parse recurses, and the ETL's engines would fail on such a line.
    if (nestsDeeperThan(payload, MAX_JSON_DEPTH)) return dropped(tooDeepReason('payload'));
    let parsed: unknown;
    try {
      parsed = parseKeepingNumbers(text);
    } catch {
      return dropped('payload is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return dropped('payload is not a JSON object: SELECT *, … cannot add fields to it');
    }
    message = parsed as Record<string, unknown>;
  }
  return {
    kind: 'record',
    line: JSON.stringify({ ...message, receivedAt: now, topic }),
    deviceId: deviceIdFromTopic(topic),
  };
};
