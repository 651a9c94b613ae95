// /status's refused and unmatched counters are as durable as received and stored: the real
// runtime counts a refused packet and two publishes to unmatched topics, is stopped, and started
// again on the same data dir, where /status still shows them (and counts on from there).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../../local/runtime.js';
import { quickRuntimeSettings } from '../../../local/runtime-defaults.js';
import { connectRaw, publishPacket } from '../hostile/raw-mqtt.js';
import { teardown } from '../teardown.js';

const KEY = 'notice-counters-key-0123456789';
const TOPIC = 'smogcast/notice-001/telemetry';

let dir: string | undefined;
let runtime: LocalRuntime | undefined;

afterEach(() => teardown([dir], () => runtime?.close()));

const start = (dataDir: string) =>
  startLocalRuntime({ ...quickRuntimeSettings(dataDir, KEY), maxMessageBytes: 1_024 });

const records = async (r: LocalRuntime) => {
  const res = await fetch(`${r.apiUrl}/status`, { headers: { 'x-api-key': KEY } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: Record<string, number> }).records;
};

/**
 * One publish over the limit (refused, disconnected), one to a topic no rule selects and one the
 * rule cannot evaluate (not JSON: the rule's ParseError).
 */
const sendNotices = async (r: LocalRuntime, tag: string) => {
  const big = await connectRaw(r.mqttUrl, `big-${tag}`);
  expect(await big.send(publishPacket(TOPIC, Buffer.alloc(2_048, 120), 1), 5_000)).toBe('closed');
  const stray = await connectRaw(r.mqttUrl, `stray-${tag}`);
  expect(await stray.publish('smogcast/x/status', Buffer.from('{"up":true}'))).toBe('puback');
  expect(await stray.publish(TOPIC, Buffer.from('pm25=3'))).toBe('puback');
  stray.end();
};

describe('refused, unmatched and unparsed counters across a restart', () => {
  it('keeps them, as received and stored are kept', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'smogcast-notices-'));
    runtime = await start(dir);
    const client = await connectRaw(runtime.mqttUrl, 'reader');
    expect(
      await client.publish(
        TOPIC,
        Buffer.from(
          JSON.stringify({
            deviceId: 'notice-001',
            ts: new Date(Date.now() - 60_000).toISOString(),
            pm25: 3,
          }),
        ),
      ),
    ).toBe('puback');
    client.end();
    await sendNotices(runtime, 'a');
    await runtime.drain();
    const first = await records(runtime);
    // Act: stop and start again on the same data dir, then one more of each
    await runtime.close();
    runtime = await start(dir);
    const restarted = await records(runtime);
    await sendNotices(runtime, 'b');
    await runtime.drain();
    const after = await records(runtime);
    // Assess
    // received counts the notices' samples too (journaled to errors/): one reading, 3 samples
    expect(first).toEqual({
      received: 4,
      stored: 1,
      errors: 3,
      refused: 1,
      unmatched: 1,
      unparsed: 1,
    });
    expect(restarted).toEqual(first);
    expect(after).toEqual({
      received: 7,
      stored: 1,
      errors: 6,
      refused: 2,
      unmatched: 2,
      unparsed: 2,
    });
  });
});
