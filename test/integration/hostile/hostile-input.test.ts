// Hostile input through the real runtime (issue 13): the embedded broker with its rule, journal,
// Firehose twins and S3-compatible store, and the real API. Every message sent is accounted for:
// stored in raw/ (where the ETL quarantines a bad reading with its reason), counted and sampled
// as the rule's ParseError (not a JSON object, as AWS counts it), or refused at the protocol with
// a counted and sampled reason. Nothing crashes, nothing hangs (every wait is bounded), nothing
// vanishes.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../../core/curated/rows.js';
import {
  createMqttClient,
  type DeviceConnection,
  openConnection,
} from '../../../device/connection.js';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime.js';
import { quickRuntimeSettings } from '../../../local/runtime-defaults.js';
import { readLines, s3Store } from '../ingest/lake.js';
import { rawGet, rawRequest } from '../raw-http.js';
import { teardown } from '../teardown.js';
import { connectRaw, publishPacket } from './raw-mqtt.js';

const KEY = 'hostile-test-key-0123456789';
const DEVICE = 'hostile-001';
const TOPIC = `smogcast/${DEVICE}/telemetry`;
const NOW = Date.now();

let dir: string;
let runtime: LocalRuntime;
let device: DeviceConnection;
const logs: string[] = [];

const reading = (seq: number, extra: Record<string, unknown> = {}) => ({
  deviceId: DEVICE,
  ts: new Date(NOW - 60_000).toISOString(),
  seq,
  pm25: 12,
  ...extra,
});
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const withField = (seq: number, field: string) =>
  Buffer.from(`${JSON.stringify(reading(seq)).slice(0, -1)},"x":${field}}`);

const status = async () => {
  const res = await fetch(`${runtime.apiUrl}/status`, { headers: { 'x-api-key': KEY } });
  expect(res.status).toBe(200);
  return (await res.json()) as { records: Record<string, number> };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smogcast-hostile-'));
  runtime = await startLocalRuntime({
    ...quickRuntimeSettings(dir, KEY),
    log: (message) => logs.push(message),
  });
  device = await openConnection(
    createMqttClient(),
    { kind: 'local', url: runtime.mqttUrl },
    DEVICE,
  );
});

afterAll(async () => {
  await teardown(
    [dir],
    () => device?.close(),
    () => runtime?.close(),
  );
});

describe('hostile MQTT input, QoS 1 through the device SDK', () => {
  it('stores every message the rule can evaluate, counts the rest, and acknowledges each', async () => {
    // Prepare: each message with where it must go: raw/ (and curated, or quarantined by the
    // ETL with the reason given), or counted as the rule's ParseError (not a JSON object)
    const invalidUtf8 = Buffer.concat([
      json(reading(7)).subarray(0, 20),
      Buffer.from([0xff, 0xfe]),
      json(reading(7)).subarray(20),
    ]);
    const cases: Array<{ name: string; bytes: Buffer; to: 'raw' | 'ParseError' | RegExp }> = [
      { name: 'a valid reading', bytes: json(reading(1)), to: 'raw' },
      { name: 'nested 31 deep', bytes: withField(2, nested(31)), to: 'raw' },
      { name: 'nested 100 deep', bytes: withField(3, nested(100)), to: 'ParseError' },
      { name: 'nested 1,000 deep', bytes: withField(4, nested(1_000)), to: 'ParseError' },
      { name: 'nested 10,000 deep', bytes: withField(5, nested(10_000)), to: 'ParseError' },
      { name: 'arrays 60,000 deep', bytes: withField(6, '['.repeat(60_000)), to: 'ParseError' },
      { name: 'invalid UTF-8 in a string', bytes: invalidUtf8, to: 'ParseError' },
      {
        name: 'year 0000',
        bytes: json(reading(8, { ts: '0000-01-01T00:00:00Z' })),
        to: /is before 2000/,
      },
      {
        name: 'year 1677',
        bytes: json(reading(9, { ts: '1677-09-21T00:12:44Z' })),
        to: /is before 2000/,
      },
      {
        name: '23 hours ahead',
        bytes: json(reading(10, { ts: new Date(NOW + 23 * 3_600_000).toISOString() })),
        to: /too far in the future/,
      },
      { name: 'not JSON', bytes: Buffer.from('pm25=3'), to: 'ParseError' },
    ];
    const before = (await status()).records;

    // Act: all at once, each publish resolving on its PUBACK
    await Promise.all(cases.map((c) => device.publish(TOPIC, c.bytes)));
    await runtime.drain();

    // Assess: each message where it belongs
    const store = s3Store(runtime.s3Url);
    const raw = await readLines(store, 'raw/');
    const samples = (await readLines(store, 'errors/')).filter((e) => e.errorCode === 'ParseError');
    for (const c of cases) {
      if (c.to === 'ParseError') {
        const head = c.bytes.subarray(0, 64).toString('base64');
        const found = samples.filter((e) => e.rawData === head && e.size === c.bytes.byteLength);
        expect(found, c.name).toHaveLength(1);
        expect(found[0].errorMessage, c.name).toMatch(/payload/);
        continue;
      }
      const lines = raw.filter((r) => r.seq === JSON.parse(c.bytes.toString()).seq);
      expect(lines, c.name).toHaveLength(1);
      // The ETL's (and update-context's) row logic on the line as stored.
      const parsed = parseRawMessage(JSON.stringify(lines[0]), NOW);
      if (c.to === 'raw') expect(parsed, c.name).toMatchObject({ ok: true });
      else expect(parsed, c.name).toMatchObject({ ok: false, reason: expect.stringMatching(c.to) });
    }
    const parseErrors = cases.filter((c) => c.to === 'ParseError').length;
    expect(raw).toHaveLength(cases.length - parseErrors);
    expect((await status()).records.unparsed).toBe((before.unparsed ?? 0) + parseErrors);
    expect(logs.filter((l) => l.includes('journal append failed'))).toEqual([]);
  });

  it('keeps one connection up through a poison message: no disconnect, no resend loop', async () => {
    // Prepare
    const client = await connectRaw(runtime.mqttUrl, 'poison-raw');
    // Act
    const poison = await client.publish(TOPIC, withField(100, nested(10_000)));
    const after = await client.publish(TOPIC, json(reading(101)));
    // Assess
    expect(poison).toBe('puback');
    expect(after).toBe('puback');
    expect(client.closed()).toBe(false);
    client.end();
  });
});

describe('the protocol-level message size limit', () => {
  it('disconnects a 100 MB publish after its first bytes, and counts and samples the refusal', async () => {
    // Prepare: a header announcing 100 MB; only 64 KiB of it is ever sent
    const before = (await status()).records;
    const client = await connectRaw(runtime.mqttUrl, 'big-sender');
    const head = Buffer.from(`{"deviceId":"${DEVICE}","pad":"${'x'.repeat(64 * 1024)}`);

    // Act
    const answer = await client.send(publishPacket(TOPIC, head, 1, 100 * 1024 * 1024), 5_000);
    await runtime.drain();

    // Assess: closed without the rest; one refusal, sampled with who, where, how big
    expect(answer).toBe('closed');
    const after = (await status()).records;
    expect(after.refused).toBe((before.refused ?? 0) + 1);
    const samples = (await readLines(s3Store(runtime.s3Url), 'errors/')).filter(
      (e) => e.errorCode === 'PacketTooLarge',
    );
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({
      clientId: 'big-sender',
      topic: TOPIC,
      size: 100 * 1024 * 1024,
      truncated: true,
    });
    expect(Buffer.from(samples[0].rawData, 'base64').toString()).toMatch(
      /^\{"deviceId":"hostile-001"/,
    );
    expect(logs.some((l) => l.includes('mqtt: refused big-sender'))).toBe(true);
  });

  it('accepts a publish of exactly the limit at the protocol (the rule then judges it)', async () => {
    const client = await connectRaw(runtime.mqttUrl, 'at-limit');
    const base = JSON.stringify(reading(200));
    const pad = 128 * 1024 - base.length - ',"pad":""'.length;
    const payload = Buffer.from(`${base.slice(0, -1)},"pad":"${'x'.repeat(pad)}"}`);
    expect(payload.byteLength).toBe(128 * 1024);
    expect(await client.publish(TOPIC, payload)).toBe('puback');
    client.end();
  });
});

describe('publishes to topics no rule selects', () => {
  it('acknowledges and forwards them, and counts and samples each', async () => {
    // Prepare: a subscriber of the other topic, as an agent's own topic would have
    const before = (await status()).records;
    const subscriber = await connectRaw(runtime.mqttUrl, 'listener');
    const seen = await subscriber.subscribe('other/topic');
    const client = await connectRaw(runtime.mqttUrl, 'stray');

    // Act
    const status1 = await client.publish('smogcast/x/status', Buffer.from('{"up":true}'));
    const other = await client.publish('other/topic', Buffer.from('hello'));
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await runtime.drain();

    // Assess
    expect([status1, other]).toEqual(['puback', 'puback']);
    expect(seen.map((m) => m.payload.toString())).toEqual(['hello']);
    expect((await status()).records.unmatched).toBe((before.unmatched ?? 0) + 2);
    const samples = (await readLines(s3Store(runtime.s3Url), 'errors/')).filter(
      (e) => e.errorCode === 'UnmatchedTopic',
    );
    expect(samples.map((s) => [s.topic, s.clientId, s.size]).sort()).toEqual([
      ['other/topic', 'stray', 5],
      ['smogcast/x/status', 'stray', 11],
    ]);
    client.end();
    subscriber.end();
  });
});

describe('hostile HTTP input, the real API', () => {
  it.each([
    [
      'Expect: bogus',
      `GET /health HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nConnection: close\r\n\r\n`,
      417,
      /Expect: bogus is not supported/,
    ],
    [
      'no Host header',
      `GET /health HTTP/1.1\r\nConnection: close\r\n\r\n`,
      400,
      /missing Host header/,
    ],
  ])('answers %s with a JSON error', async (_name, head, statusCode, message) => {
    const res = await rawRequest(runtime.apiUrl, head);
    expect(res.status).toBe(statusCode);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body).error).toMatch(message);
  });

  it.each([
    ['/forecast?deviceId=sim-001&metric=pm25&horizon=-1', 'horizon must be between 1 and 24'],
    ['/forecast?deviceId=sim-001&metric=pm25&horizon=100000', 'horizon must be between 1 and 24'],
    ['/devices?deviceId=sim-001&hours=100000', 'hours must be between 1 and 336'],
    ['/devices?deviceId=sim-001&hours=-1', 'hours must be between 1 and 336'],
  ])('answers %s with the real range', async (target, message) => {
    const res = await rawGet(runtime.apiUrl, target, { 'x-api-key': KEY });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toContain(message);
  });

  it('is still up and answering after everything above', async () => {
    expect((await fetch(`${runtime.apiUrl}/health`)).status).toBe(200);
    const client = await connectRaw(runtime.mqttUrl, 'last');
    expect(await client.publish(TOPIC, json(reading(999)))).toBe('puback');
    client.end();
  });
});
