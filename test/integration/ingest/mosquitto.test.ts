// Devices on MQTT 5 (and 3.1.1) against Debian's Mosquitto, bridged into the local rule path:
// agent (aws-iot-device-sdk-v2) → mosquitto → bridge (QoS 1) → embedded broker → rule →
// journal → Firehose twin → S3-compatible store. Mosquitto is installed by .ci/run.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../../core/curated/rows.js';
import { createMqttClient, openConnection } from '../../../device/connection.js';
import { runBackfill } from '../device/local-fleet.js';
import { type IngestHarness, readLines, startIngestHarness } from './lake.js';

const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const NOW = Date.UTC(2025, 9, 1, 6, 0, 0);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const accepting = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

let harness: IngestHarness;
let mosquitto: ChildProcess;
let mosquittoUrl: string;
let log = '';

beforeAll(async () => {
  harness = await startIngestHarness();
  const port = await freePort();
  const config = join(harness.dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      // Bridge every telemetry message, QoS 1, into the embedded broker that runs the rule.
      'connection smogcast-rule',
      `address 127.0.0.1:${harness.broker.port}`,
      'bridge_protocol_version mqttv311',
      'cleansession true',
      'topic smogcast/+/telemetry out 1',
      '',
    ].join('\n'),
  );
  mosquitto = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  mosquitto.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  for (let i = 0; i < 100 && !(await accepting(port)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The bridge connects on its own; wait until the embedded broker sees it.
  for (let i = 0; i < 100 && harness.broker.clients() === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (harness.broker.clients() === 0) throw new Error(`mosquitto bridge not up:\n${log}`);
  mosquittoUrl = `mqtt://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (mosquitto && mosquitto.exitCode === null) {
    const exited = new Promise((resolve) => mosquitto.once('exit', resolve));
    mosquitto.kill('SIGTERM');
    await exited;
  }
  await harness?.close();
});

/** Polls raw/ until `count` unique readings of the devices are there (bounded). */
const storedReadings = async (prefix: string, count: number): Promise<Set<string>> => {
  let seen = new Set<string>();
  for (let i = 0; i < 100 && seen.size < count; i++) {
    await harness.ingest.flush();
    seen = new Set(
      (await readLines(harness.store, 'raw/'))
        .filter((r) => String(r.deviceId).startsWith(prefix))
        .map((r) => `${r.deviceId}/${r.seq}`),
    );
    if (seen.size < count) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return seen;
};

describe('devices against Mosquitto', () => {
  it.each(['5', '3.1.1'] as const)(
    'publishes QoS 1 over MQTT %s, and every reading reaches the lake',
    async (protocol) => {
      // Prepare
      const prefix = `m${protocol.replace('.', '')}-`;
      // Act
      const fleet = await runBackfill(mosquittoUrl, {
        protocol,
        devices: 2,
        deviceIds: [`${prefix}001`, `${prefix}002`],
        seed: 5,
        backfillHours: 6,
        stepMinutes: 10,
        now: () => NOW,
      });
      // Assess
      expect(fleet.stats()).toMatchObject({ sent: 72, acked: 72, failed: 0 });
      expect((await storedReadings(prefix, 72)).size).toBe(72);
    },
  );

  it('carries telemetry v1 batches over MQTT 5: one raw record per message, every reading curated', async () => {
    // Prepare
    const prefix = 'mb-';
    // Act: 2 devices × 36 readings, 8 per message → 5 messages per device (the last one of 4).
    const fleet = await runBackfill(mosquittoUrl, {
      protocol: '5',
      devices: 2,
      deviceIds: [`${prefix}001`, `${prefix}002`],
      seed: 6,
      backfillHours: 6,
      stepMinutes: 10,
      readingsPerMessage: 8,
      now: () => NOW,
    });
    // Assess
    expect(fleet.stats()).toMatchObject({ sent: 72, acked: 72, failed: 0 });
    let records: Array<{ deviceId: string; readings?: unknown[] }> = [];
    for (let i = 0; i < 100 && records.length < 10; i++) {
      await harness.ingest.flush();
      records = (await readLines(harness.store, 'raw/')).filter((r) =>
        String(r.deviceId).startsWith(prefix),
      );
      if (records.length < 10) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(records).toHaveLength(10);
    const rows = records.flatMap((record) => {
      const parsed = parseRawMessage(JSON.stringify(record), NOW);
      return (Array.isArray(parsed) ? parsed : [parsed]).map((r) =>
        r.ok ? `${r.row.deviceId}/${r.row.seq}` : r.reason,
      );
    });
    expect(new Set(rows).size).toBe(72);
    expect(rows.every((r) => r.startsWith(prefix))).toBe(true);
  });

  it('quarantines a spoofed device id sent over MQTT 5, from raw/ with its reason', async () => {
    // Prepare
    const connection = await openConnection(
      createMqttClient(),
      { kind: 'local', url: mosquittoUrl },
      'm5-intruder',
      '5',
    );
    expect(connection.protocol).toBe('5');
    const payload = JSON.stringify({ deviceId: 'm5-victim', ts: new Date(NOW).toISOString() });
    // Act
    await connection.publish('smogcast/m5-intruder/telemetry', payload);
    await connection.close();
    // Assess: the rule delivers it (as AWS's rule, which has no WHERE); the ETL's row logic
    // quarantines it
    let records: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100 && records.length === 0; i++) {
      await harness.ingest.flush();
      records = (await readLines(harness.store, 'raw/')).filter((r) => r.deviceId === 'm5-victim');
      if (records.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(records).toHaveLength(1);
    expect(records[0]?.topic).toBe('smogcast/m5-intruder/telemetry');
    expect(parseRawMessage(JSON.stringify(records[0]), NOW)).toEqual({
      ok: false,
      reason: 'deviceId m5-victim does not match topic device m5-intruder',
    });
  });
});
