// The message and raw/ shape the cost model (deploy/cost) prices, and the batch size it and
// `npm start` recommend, measured on a deterministic sample built with
// the fleet's own code: seeded synthetic readings (device/synthetic.ts), the agent's batching
// (device/batcher.ts), the telemetry rule's record (local/iot-rule.ts, the AWS rule's twin) and
// the gzip Firehose applies to raw/ (core/raw-object.ts). Nothing here is a guessed constant.
import { HOUR_MS } from '../core/device-context.js';
import { gzipRawBody } from '../core/raw-object.js';
import { MAX_READINGS_PER_MESSAGE, telemetryTopic } from '../core/telemetry.js';
import { encodeText } from '../core/text.js';
import { batchPayload, createBatcher } from '../device/batcher.js';
import { nextSeq } from '../device/schedule.js';
import type { DeviceReading } from '../device/sources.js';
import { simulatedDeviceIds, syntheticReading } from '../device/synthetic.js';
import { applyTelemetryRule } from './iot-rule.js';

/** IoT Core meters messages, rule evaluations and actions, and Firehose records, per 5 KB. */
export const METERING_UNIT_BYTES = 5 * 1024;

const SEED = 20261202;
/** The sample's first reading: a fixed instant, so every run measures the same bytes. */
const SAMPLE_START = Date.UTC(2026, 11, 1);
/** The rule stamps receivedAt this long after the reading (a 13-digit epoch either way). */
const ARRIVAL_DELAY_MS = 2_000;
/** Readings in the sample: enough for gzip's 32 KiB window many times over. */
const SAMPLE_READINGS = 12_000;
const MAX_SAMPLE_DEVICES = 200;

export interface RawSampleOptions {
  /** Fleet size: the sample's devices are its last (longest) ids. */
  devices: number;
  readingMinutes: number;
  readingsPerMessage: number;
}

export interface RawSample {
  readings: number;
  messages: number;
  /** Mean payload bytes per reading, as published (a v1 reading, or its share of a batch). */
  readingBytes: number;
  /** Mean bytes the rule adds to a message's record (receivedAt, topic). */
  ruleAddedBytes: number;
  /** Mean topic bytes (metered with the payload). */
  topicBytes: number;
  /** The largest message (payload + topic) and record (payload + rule's bytes + newline). */
  maxMessageBytes: number;
  maxRecordBytes: number;
  /** raw/ NDJSON bytes of the sample, and the same gzipped as Firehose delivers it. */
  rawBytes: number;
  gzipBytes: number;
  /** gzipBytes / rawBytes. */
  gzipRatio: number;
}

const sampleDevices = (devices: number, readingsPerDevice: number): string[] => {
  const count = Math.max(
    1,
    Math.min(MAX_SAMPLE_DEVICES, devices, Math.floor(SAMPLE_READINGS / readingsPerDevice)),
  );
  return simulatedDeviceIds(Math.max(devices, count)).slice(-count);
};

/** The readings of `deviceIds`, `perDevice` each, every `readingMinutes`, in publish order. */
const sampleReadings = (
  deviceIds: readonly string[],
  perDevice: number,
  readingMinutes: number,
): DeviceReading[] => {
  const seqs = new Map<string, number>();
  const out: DeviceReading[] = [];
  for (let i = 0; i < perDevice; i++) {
    const ts = SAMPLE_START + i * readingMinutes * 60_000;
    for (const deviceId of deviceIds) {
      const seq = nextSeq(seqs.get(deviceId), ts);
      seqs.set(deviceId, seq);
      out.push(syntheticReading({ seed: SEED, deviceId, ts, seq }));
    }
  }
  return out;
};

/** The sample for one fleet setting: messages as the agent sends them, records as raw/ holds. */
export const rawSample = (options: RawSampleOptions): RawSample => {
  const k = options.readingsPerMessage;
  // At least four messages per device, and six hours of readings.
  const perDevice = Math.max(4 * k, Math.ceil((6 * HOUR_MS) / (options.readingMinutes * 60_000)));
  const deviceIds = sampleDevices(options.devices, perDevice);
  const batcher = createBatcher(k, (reading) => JSON.stringify(reading));
  const lines: string[] = [];
  let payloadBytes = 0;
  let addedBytes = 0;
  let topicBytes = 0;
  let maxMessageBytes = 0;
  let maxRecordBytes = 0;
  let readings = 0;
  for (const reading of sampleReadings(deviceIds, perDevice, options.readingMinutes)) {
    const message = batcher.add(reading);
    if (!message) continue;
    const topic = telemetryTopic(message.deviceId);
    const payload = encodeText(message.payload);
    const arrival = Date.parse(reading.ts) + ARRIVAL_DELAY_MS;
    const outcome = applyTelemetryRule(topic, payload, arrival);
    if (outcome.kind !== 'record') throw new Error(`the rule refused a sample message: ${topic}`);
    const recordBytes = Buffer.byteLength(outcome.line) + 1;
    const topicLength = Buffer.byteLength(topic);
    lines.push(outcome.line);
    readings += message.readings;
    payloadBytes += payload.byteLength;
    addedBytes += recordBytes - 1 - payload.byteLength;
    topicBytes += topicLength;
    maxMessageBytes = Math.max(maxMessageBytes, payload.byteLength + topicLength);
    maxRecordBytes = Math.max(maxRecordBytes, recordBytes);
  }
  const text = `${lines.join('\n')}\n`;
  const rawBytes = Buffer.byteLength(text);
  const gzipBytes = gzipRawBody(text).byteLength;
  const messages = lines.length;
  return {
    readings,
    messages,
    readingBytes: payloadBytes / readings,
    ruleAddedBytes: addedBytes / messages,
    topicBytes: topicBytes / messages,
    maxMessageBytes,
    maxRecordBytes,
    rawBytes,
    gzipBytes,
    gzipRatio: gzipBytes / rawBytes,
  };
};

export interface Recommendation {
  readingsPerMessage: number;
  /** The most readings whose message fits one 5 KB unit, and that message's sizes. */
  fitsUnit: number;
  maxMessageBytes: number;
  maxRecordBytes: number;
  /** The most readings a message can wait for and still reach its hour's page while live. */
  liveCap: number;
}

/**
 * The recommended readings-per-message: the largest whose message — payload + topic as IoT
 * Core meters it, and the record with the rule's added bytes as the action and Firehose meter
 * it — fits one 5 KB unit even when every reading in it is as long as the longest reading of a
 * sample (a bound, not an average: a batch of shorter readings only has more room); and no more
 * than lets a message's oldest reading, after the Firehose buffer, reach its hour's page before
 * the rollup folds that hour (at the start of the hour after next), so batching never turns
 * deliveries into late pages: 1 + (60 min − buffer) / reading period.
 */
export const recommendedReadingsPerMessage = (options: {
  devices: number;
  readingMinutes: number;
  firehoseBufferSeconds: number;
}): Recommendation => {
  const liveCap = Math.max(
    1,
    1 +
      Math.floor(
        (HOUR_MS - options.firehoseBufferSeconds * 1000) / (options.readingMinutes * 60_000),
      ),
  );
  const perDevice = Math.ceil((7 * 24 * HOUR_MS) / (options.readingMinutes * 60_000));
  const deviceIds = sampleDevices(options.devices, Math.min(perDevice, 600));
  const readings = sampleReadings(deviceIds, Math.min(perDevice, 600), options.readingMinutes);
  // The longest reading inside a batch (batchPayload drops its device id), of the longest id.
  const inBatch = (r: DeviceReading) => {
    const { deviceId: _, ...rest } = r;
    return Buffer.byteLength(JSON.stringify(rest));
  };
  const longest = readings.reduce((a, b) =>
    inBatch(b) + b.deviceId.length > inBatch(a) + a.deviceId.length ? b : a,
  );
  const sizesOf = (k: number) => {
    const topic = telemetryTopic(longest.deviceId);
    const payload =
      k === 1
        ? JSON.stringify(longest)
        : batchPayload(longest.deviceId, new Array<DeviceReading>(k).fill(longest));
    const outcome = applyTelemetryRule(
      topic,
      encodeText(payload),
      Date.parse(longest.ts) + ARRIVAL_DELAY_MS,
    );
    if (outcome.kind !== 'record') throw new Error(`the rule refused a sample message: ${topic}`);
    return {
      maxMessageBytes: Buffer.byteLength(payload) + Buffer.byteLength(topic),
      maxRecordBytes: Buffer.byteLength(outcome.line) + 1,
    };
  };
  const fits = (k: number) => {
    const s = sizesOf(k);
    return Math.max(s.maxMessageBytes, s.maxRecordBytes) <= METERING_UNIT_BYTES;
  };
  // Sizes grow with k: binary search for the last k that fits.
  let lo = 1;
  let hi = MAX_READINGS_PER_MESSAGE;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const readingsPerMessage = Math.min(lo, liveCap);
  return { readingsPerMessage, fitsUnit: lo, liveCap, ...sizesOf(readingsPerMessage) };
};
