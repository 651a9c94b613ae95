// Basic Ingest end to end, as AWS runs it: a device publishes to $aws/rules/<rule>/<topic>, only
// that rule runs (no reject rule sees it), the broker delivers it to no subscriber. Through the
// real ingest path (device SDK → embedded broker → rule → journal → Firehose twin → S3-compatible
// store) and the ETL twin: a valid reading is curated, an invalid one is quarantined with its
// reason, one the rule cannot evaluate is counted (the rule's ParseError); nothing is lost.
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCuratedRows } from '../../../core/curated/reader.js';
import { basicIngestTopic } from '../../../core/telemetry.js';
import {
  createMqttClient,
  type DeviceConnection,
  openConnection,
} from '../../../device/connection.js';
import { runEtl } from '../../../glue/twin/etl.js';
import { LOCAL_TELEMETRY_RULE } from '../../../local/iot-rule.js';
import { type IngestHarness, readLines, startIngestHarness } from './lake.js';

const DEVICE = 'basic-001';
const TOPIC = basicIngestTopic(LOCAL_TELEMETRY_RULE, DEVICE);
const NOW = Date.now();
const reading = (seq: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ deviceId: DEVICE, ts: new Date(NOW - 60_000).toISOString(), seq, ...extra });

let harness: IngestHarness;
let device: DeviceConnection;

beforeAll(async () => {
  harness = await startIngestHarness();
  device = await openConnection(
    createMqttClient(),
    { kind: 'local', url: harness.broker.url },
    DEVICE,
  );
});

afterAll(async () => {
  await device?.close();
  await harness?.close();
});

describe('Basic Ingest', () => {
  it('curates a valid reading and quarantines invalid ones with their reason', async () => {
    // Prepare: what the telemetry rule's old WHERE (and the reject rule) dealt with
    const invalid: Array<[string, RegExp]> = [
      [reading(2, { deviceId: 'basic-002' }), /does not match topic device basic-001/],
      [JSON.stringify({ deviceId: DEVICE, seq: 3, pm25: 4 }), /^ts: /],
      [reading(4, { pm25: -1 }), /pm25: must not be negative/],
      [JSON.stringify({ deviceId: DEVICE, readings: [] }), /readings: must hold 1-500/],
    ];
    const before = harness.ingest.counts();

    // Act: QoS 1, each publish resolving on its PUBACK
    await device.publish(TOPIC, reading(1, { pm25: 12 }));
    for (const [payload] of invalid) await device.publish(TOPIC, payload);
    await harness.ingest.flush();
    const etl = await runEtl({ runId: 'basic-ingest' }, { store: harness.store, now: Date.now });

    // Assess: all five in raw/, as the rule sees them (topic() without the prefix)
    const raw = await readLines(harness.store, 'raw/');
    expect(raw).toHaveLength(5);
    for (const line of raw) expect(line.topic).toBe(`smogcast/${DEVICE}/telemetry`);
    expect(harness.ingest.counts().stored - before.stored).toBe(5);
    // …the valid one curated, each invalid one quarantined with its reason
    expect(etl).toMatchObject({ lines: 5, rows: 1, quarantined: 4 });
    expect((await readCuratedRows(harness.store)).map((r) => [r.deviceId, r.seq])).toEqual([
      [DEVICE, 1],
    ]);
    const quarantine = await readLines(harness.store, 'quarantine/');
    for (const [payload, reason] of invalid) {
      const found = quarantine.filter((q) => q.line.startsWith(payload.slice(0, -1)));
      expect(found, payload).toHaveLength(1);
      expect(found[0].reason, payload).toMatch(reason);
    }
  });

  it('counts a payload the rule cannot evaluate, and a publish naming no rule', async () => {
    // Prepare
    const before = harness.ingest.counts();
    // Act
    await device.publish(TOPIC, 'pm25=3');
    await device.publish(
      `$aws/rules/smogcast_telemetry_rejects_dev/smogcast/${DEVICE}/telemetry`,
      reading(9),
    );
    await harness.ingest.flush();
    // Assess: counted as IoT's ParseError and RuleNotFound metrics would, nothing in raw/
    const after = harness.ingest.counts();
    expect(after.unparsed - before.unparsed).toBe(1);
    expect(after.unmatched - before.unmatched).toBe(1);
    expect(after.stored).toBe(before.stored);
    const samples = await readLines(harness.store, 'errors/');
    expect(samples.map((s) => [s.errorCode, s.errorMessage]).sort()).toEqual([
      ['ParseError', 'payload is not valid JSON'],
      ['UnmatchedTopic', 'no rule named smogcast_telemetry_rejects_dev (Basic Ingest)'],
    ]);
  });

  it('refuses subscriptions to Basic Ingest topics, so no subscriber receives them', async () => {
    // Prepare: a client trying the topic itself and a filter covering every rule
    const client = mqtt.connect(harness.broker.url, {
      clientId: 'eavesdropper',
      reconnectPeriod: 0,
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    // Act: one SUBSCRIBE with three filters; mqtt.js rejects when any is refused
    const filters = [TOPIC, '$aws/rules/#', 'smogcast/+/telemetry'];
    const suback = await client.subscribeAsync(filters, { qos: 1 }).then(
      () => undefined,
      (error: { packet?: { granted?: number[] } }) => error.packet?.granted,
    );
    await device.publish(TOPIC, reading(20));
    await harness.ingest.flush();
    // Assess: the two Basic Ingest filters refused (128), the broker topic granted
    expect(suback).toEqual([128, 128, 1]);
    expect(received).toEqual([]);
    await client.endAsync();
  });
});
