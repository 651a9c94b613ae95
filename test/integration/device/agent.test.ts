import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../../core/curated/rows.js';
import { applyTelemetryRule } from '../../../local/iot-rule.js';
import { startTestBroker, type TestBroker } from './test-broker.js';

interface Exit {
  code: number | null;
  stderr: string;
}

/** Runs the agent through tsx; kills it if it outlives `limitMs` (the test then fails). */
const runAgent = (args: string[], limitMs: number): Promise<Exit> =>
  new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'device/agent.ts', ...args], {
      cwd: process.cwd(),
      env: { ...process.env, SMOGCAST_IOT_ENDPOINT: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    });
  });

describe('device agent CLI', () => {
  let broker: TestBroker;

  beforeEach(async () => {
    broker = await startTestBroker();
  });

  afterEach(async () => {
    await broker.close();
  });

  it('backfills, prints progress and exits 0 with --no-realtime', async () => {
    // Act
    const exit = await runAgent(
      ['--broker', broker.url, '--devices', '2', '--backfill-hours', '1', '--no-realtime'],
      45_000,
    );

    // Assess
    expect(exit.code).toBe(0);
    expect(broker.received).toHaveLength(8);
    expect(new Set(broker.received.map((message) => message.topic))).toEqual(
      new Set(['smogcast/sim-001/telemetry', 'smogcast/sim-002/telemetry']),
    );
    expect(exit.stderr).toMatch(/sent=8 acked=8 queued=0 inFlight=0 failed=0/);
  });

  it('batches readings per message over Basic Ingest, every reading reaching the rule', async () => {
    // Act: 2 devices × 4 readings (1 h at 15 min), 3 per message → a batch of 3 and one of 1.
    const exit = await runAgent(
      [
        '--broker',
        broker.url,
        '--devices',
        '2',
        '--backfill-hours',
        '1',
        '--no-realtime',
        '--readings-per-message',
        '3',
        '--basic-ingest',
        'smogcast_telemetry_dev',
      ],
      45_000,
    );

    // Assess
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toMatch(/sent=8 acked=8 queued=0 inFlight=0 failed=0/);
    expect(broker.received).toHaveLength(4);
    const rows = broker.received.flatMap((message) => {
      expect(message.topic).toMatch(
        /^\$aws\/rules\/smogcast_telemetry_dev\/smogcast\/sim-00[12]\/telemetry$/,
      );
      const payload = new TextEncoder().encode(message.payload);
      const outcome = applyTelemetryRule(message.topic, payload, Date.now());
      if (outcome.kind !== 'record') throw new Error(`rule refused ${message.topic}`);
      const parsed = parseRawMessage(outcome.line, Date.now());
      return (Array.isArray(parsed) ? parsed : [parsed]).map((r) => {
        if (!r.ok) throw new Error(r.reason);
        return `${r.row.deviceId}:${r.row.seq}`;
      });
    });
    expect(new Set(rows).size).toBe(8);
    expect(
      broker.received
        .map((m) => (JSON.parse(m.payload) as { readings: unknown[] }).readings.length)
        .sort(),
    ).toEqual([1, 1, 3, 3]);
  });

  it('replays Beijing CSV files (gzip or not), one station per device, in backfill mode', async () => {
    // Prepare: two tiny station files in the data set's format
    const dir = await mkdtemp(join(tmpdir(), 'smogcast-replay-'));
    const header =
      '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"';
    const rows = (station: string) =>
      [0, 1, 2].map(
        (h) => `${h + 1},2016,7,1,${h},${10 + h},NA,3,20,500,60,25,1000,18,0,"E",1.2,"${station}"`,
      );
    await writeFile(join(dir, 'a.csv.gz'), gzipSync([header, ...rows('Dongsi')].join('\n')));
    await writeFile(join(dir, 'b.csv'), [header, ...rows('Tiantan')].join('\n'));
    // Act
    const exit = await runAgent(
      ['--broker', broker.url, '--replay', join(dir, 'a.csv.gz'), '--replay', join(dir, 'b.csv')],
      45_000,
    );
    await rm(dir, { recursive: true, force: true });
    // Assess
    expect(exit.code, exit.stderr).toBe(0);
    expect(broker.received).toHaveLength(6);
    const first = JSON.parse(broker.received[0]?.payload ?? '{}');
    expect(first).toMatchObject({
      deviceId: 'bj-dongsi',
      ts: '2016-06-30T16:00:00.000Z',
      pm10: null,
    });
    expect(new Set(broker.received.map((m) => m.topic))).toEqual(
      new Set(['smogcast/bj-dongsi/telemetry', 'smogcast/bj-tiantan/telemetry']),
    );
  });

  it('exits 2 with a clear message on a bad flag', async () => {
    // Act
    const exit = await runAgent(['--devices', 'many'], 45_000);

    // Assess
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('--devices must be an integer');
    expect(broker.received).toHaveLength(0);
  });

  it('stops cleanly on SIGTERM while publishing in real time', async () => {
    // Prepare
    const child = spawn(
      'node',
      [
        '--import',
        'tsx',
        'device/agent.ts',
        '--broker',
        broker.url,
        '--backfill-hours',
        '0',
        '--interval-ms',
        '50',
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const guard = setTimeout(() => child.kill('SIGKILL'), 45_000);

    // Act: wait (bounded) until readings flow, then ask it to stop
    for (let i = 0; i < 400 && broker.received.length < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
    const code = await exited;
    clearTimeout(guard);

    // Assess
    expect(broker.received.length).toBeGreaterThanOrEqual(6);
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM: stopping');
  });
});
