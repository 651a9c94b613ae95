// `npm start -- --readings-per-message recommended` (local/main.ts in a child process): the
// simulated fleet batches as the cost model recommends for its reading period, and every
// reading still reaches raw/, once.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RuntimeProcess,
  startRuntimeProcess as startRuntime,
  stopRuntimeProcess as stop,
} from '../../../bench/crash-cycle.js';
import { parseRawMessage } from '../../../core/curated/rows.js';
import { recommendedReadingsPerMessage } from '../../../local/raw-sample.js';
import { teardown } from '../teardown.js';
import { readTextLines, s3Store } from './lake.js';

const DEVICES = 2;
/** One day of backfill at the default 15-minute step. */
const READINGS = DEVICES * 96;

let dataDir: string;
let runtime: RuntimeProcess | undefined;

afterEach(() => teardown([dataDir], () => stop(runtime, 'SIGKILL')));

describe('npm start --readings-per-message', () => {
  it('batches the simulated fleet as recommended, every reading stored once', async () => {
    // Prepare: what the recommendation is for this fleet (the local buffer is 5 s)
    const { readingsPerMessage } = recommendedReadingsPerMessage({
      devices: DEVICES,
      readingMinutes: 15,
      firehoseBufferSeconds: 5,
    });
    expect(readingsPerMessage).toBeGreaterThan(1);
    dataDir = await mkdtemp(join(tmpdir(), 'smogcast-batching-'));
    // Act
    runtime = await startRuntime(dataDir, [
      '--devices',
      String(DEVICES),
      '--backfill-days',
      '1',
      '--readings-per-message',
      'recommended',
    ]);
    const store = s3Store(runtime.s3Url);
    let lines: string[] = [];
    let readings = 0;
    for (let attempt = 0; attempt < 60 && readings < READINGS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      lines = await readTextLines(store, 'raw/');
      readings = lines.reduce((n, line) => n + (JSON.parse(line).readings?.length ?? 1), 0);
    }
    // Assess: batches of the recommended size (a device's last may be shorter), all curatable
    expect(runtime.output()).toContain(`simulator: ${readingsPerMessage} readings per message`);
    expect(readings).toBe(READINGS);
    const sizes = lines.map((line) => JSON.parse(line).readings?.length ?? 1);
    expect(Math.max(...sizes)).toBe(readingsPerMessage);
    expect(lines.length).toBeLessThanOrEqual(Math.ceil(READINGS / readingsPerMessage) + DEVICES);
    const keys = new Set<string>();
    for (const line of lines) {
      const parsed = parseRawMessage(line, Date.now());
      for (const result of Array.isArray(parsed) ? parsed : [parsed]) {
        if (!result.ok) throw new Error(result.reason);
        keys.add(`${result.row.deviceId}/${result.row.seq}`);
      }
    }
    expect(keys.size).toBe(READINGS);
    await stop(runtime, 'SIGTERM');
  });
});
