// 10,000 fuzzed bad payloads through the real ingest path (CRT MQTT client → embedded broker →
// rule → journal → Firehose twin → S3-compatible store), with good readings alongside. As on AWS,
// every bad payload that is a JSON object reaches raw/ byte for byte, where the ETL's row logic
// quarantines it with a reason; every other one is counted (the rule's ParseError, or over the
// size limit), none is silently gone; every good reading is in raw/ and curated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../../core/curated/rows.js';
import { createRandom } from '../../../core/random.js';
import {
  createMqttClient,
  type DeviceConnection,
  openConnection,
} from '../../../device/connection.js';
import { MAX_PAYLOAD_BYTES } from '../../../local/iot-rule.js';
import { type IngestHarness, readTextLines, startIngestHarness } from './lake.js';

const BAD = 10_000;
const GOOD = 1_000;
const NOW = Date.now();
const DEVICE = 'fuzz-001';
const TOPIC = `smogcast/${DEVICE}/telemetry`;

const valid = (n: number) => ({
  deviceId: DEVICE,
  ts: new Date(NOW - (GOOD - n) * 60_000).toISOString(),
  seq: n,
  pm25: 10 + (n % 50),
});

/** One bad payload of a random kind; `n` makes every payload unique. */
const badPayload = (n: number, random: () => number): { kind: string; bytes: Buffer } => {
  const base = valid(100_000 + n);
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const kinds: Array<[string, () => Buffer]> = [
    ['not JSON', () => Buffer.from(`pm25=${n}&ts=${NOW}`)],
    ['truncated JSON', () => json(base).subarray(0, 5 + Math.floor(random() * 20))],
    [
      'NaN literal',
      () => Buffer.from(`{"deviceId":"${DEVICE}","ts":"${base.ts}","pm25":NaN,"n":${n}}`),
    ],
    [
      'random bytes',
      () =>
        Buffer.from(
          Array.from({ length: 8 + (n % 40) }, (_, i) =>
            i === 0 ? 0xff : Math.floor(random() * 256),
          ),
        ),
    ],
    ['not an object', () => json([n, base])],
    ['string pm25', () => json({ ...base, pm25: String(n) })],
    ['numeric deviceId', () => json({ ...base, deviceId: n })],
    ['numeric ts', () => json({ ...base, ts: NOW + n })],
    ['NaN string', () => json({ ...base, o3: 'NaN' })],
    ['negative seq', () => json({ ...base, seq: -n - 1 })],
    [
      'huge number',
      () =>
        Buffer.from(`{"deviceId":"${DEVICE}","ts":"${base.ts}","co":1e${309 + (n % 50)},"n":${n}}`),
    ],
    ['impossible value', () => json({ ...base, pm10: 1e9 + n })],
    ['latitude out of range', () => json({ ...base, lat: 90 + 1 + n })],
    [
      'far-future ts',
      () => json({ ...base, ts: new Date(NOW + (2 + (n % 900)) * 86_400_000).toISOString() }),
    ],
    ['spoofed device id', () => json({ ...base, deviceId: `sim-${n}` })],
    ['missing ts', () => json({ deviceId: DEVICE, seq: n, pm25: 3 })],
    ['legacy without timestamp', () => json({ ozone: n, particullate_matter: 3 })],
  ];
  // A few oversized messages (each over IoT Core's 128 KiB limit), the rest at random.
  if (n % 2_000 === 0) {
    return { kind: 'oversized', bytes: json({ ...base, pad: 'x'.repeat(MAX_PAYLOAD_BYTES) }) };
  }
  const [kind, make] = kinds[Math.floor(random() * kinds.length)] as [string, () => Buffer];
  return { kind, bytes: make() };
};

/** The kinds that are no JSON object: the rule cannot add its fields to them (ParseError). */
const NOT_AN_OBJECT = new Set([
  'not JSON',
  'truncated JSON',
  'NaN literal',
  'random bytes',
  'not an object',
]);

let harness: IngestHarness;
let connection: DeviceConnection;

beforeAll(async () => {
  // Above the rule's limit, so oversized payloads reach the rule (the protocol-level refusal
  // below the default limit is the hostile suite's).
  harness = await startIngestHarness({ maxMessageBytes: 2 * MAX_PAYLOAD_BYTES });
  connection = await openConnection(
    createMqttClient(),
    { kind: 'local', url: harness.broker.url },
    'fuzzer',
  );
});

afterAll(async () => {
  await connection?.close();
  await harness?.close();
});

describe('ingest of fuzzed payloads', () => {
  it('accounts for each of 10,000 bad payloads, with a reason, and curates every good reading', async () => {
    // Prepare: bad payloads with a good reading after every tenth
    // Seeded, so a failure is reproducible.
    const random = createRandom(20_260_101);
    // The JSON objects' text, as the rule's record starts (before its receivedAt and topic).
    const expectedRaw = new Map<string, number>();
    let unparsed = 0;
    let oversized = 0;
    const messages: Buffer[] = [];
    let good = 0;
    for (let n = 0; n < BAD; n++) {
      const { kind, bytes } = badPayload(n, random);
      if (kind === 'oversized') oversized++;
      else if (NOT_AN_OBJECT.has(kind)) unparsed++;
      else {
        const key = bytes.toString().slice(0, -1);
        expectedRaw.set(key, (expectedRaw.get(key) ?? 0) + 1);
      }
      messages.push(bytes);
      if (n % 10 === 9 && good < GOOD) messages.push(Buffer.from(JSON.stringify(valid(good++))));
    }
    expect(good).toBe(GOOD);

    // Act: QoS 1, up to 500 awaiting PUBACK at a time
    for (let i = 0; i < messages.length; i += 500) {
      await Promise.all(messages.slice(i, i + 500).map((m) => connection.publish(TOPIC, m)));
    }
    await harness.ingest.flush();

    // Assess: what the rule cannot evaluate is counted, as IoT's metrics count it
    const counts = harness.ingest.counts();
    expect(counts.unparsed).toBe(unparsed);
    expect(counts.refused).toBe(oversized);
    // …raw/ holds every other bad payload once, each quarantined by the ETL with a reason…
    const seqs = new Set<unknown>();
    let quarantined = 0;
    for (const line of await readTextLines(harness.store, 'raw/')) {
      const at = line.lastIndexOf(',"receivedAt":');
      expect(line.slice(at)).toMatch(
        /^,"receivedAt":\d+,"topic":"smogcast\/fuzz-001\/telemetry"}$/,
      );
      const parsed = parseRawMessage(line, NOW);
      const results = Array.isArray(parsed) ? parsed : [parsed];
      expect(results).toHaveLength(1);
      const result = results[0] as (typeof results)[number];
      if (result.ok) {
        seqs.add(result.row.seq);
        continue;
      }
      quarantined++;
      expect(result.reason.length).toBeGreaterThan(0);
      const left = expectedRaw.get(line.slice(0, at));
      expect(left, `unexpected raw line quarantined for ${result.reason}: ${line}`).toBeGreaterThan(
        0,
      );
      expectedRaw.set(line.slice(0, at), (left as number) - 1);
    }
    expect([...expectedRaw.values()].every((count) => count === 0)).toBe(true);
    expect(quarantined + unparsed + oversized).toBe(BAD);
    // …and the good readings are curated, each once.
    expect(seqs.size).toBe(GOOD);
    expect(harness.ingest.undelivered()).toBe(0);
  });
});
