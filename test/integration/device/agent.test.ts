import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
