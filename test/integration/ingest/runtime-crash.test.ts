// The local runtime (`npm start`, as a child process) is SIGKILLed while a batch of acknowledged
// readings is still buffered for Firehose delivery. After a restart on the same data dir the
// write-ahead journal is replayed: every acknowledged reading ends up in raw/.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RuntimeProcess,
  startRuntimeProcess as startRuntime,
  stopRuntimeProcess as stop,
} from '../../../bench/crash-cycle.js';
import { createMqttClient, openConnection } from '../../../device/connection.js';
import { teardown } from '../teardown.js';
import { readLines, s3Store } from './lake.js';

const READINGS = 2_000;
const DEVICE = 'crash-001';

const reading = (n: number) =>
  JSON.stringify({
    deviceId: DEVICE,
    ts: new Date(Date.now() - (READINGS - n) * 60_000).toISOString(),
    seq: n,
    pm25: n % 97,
  });

let dataDir: string;
let runtime: RuntimeProcess | undefined;

afterEach(() => teardown([dataDir], () => stop(runtime, 'SIGKILL')));

describe('runtime crash mid-batch', () => {
  it('loses no acknowledged reading when killed with SIGKILL and restarted', async () => {
    // Prepare
    dataDir = await mkdtemp(join(tmpdir(), 'smogcast-crash-'));
    runtime = await startRuntime(dataDir);
    const connection = await openConnection(
      createMqttClient(),
      { kind: 'local', url: runtime.mqttUrl },
      DEVICE,
    );
    // Act: 2,000 readings, each acknowledged (PUBACK), then SIGKILL inside the 5 s buffer window
    for (let n = 0; n < READINGS; n += 200) {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          connection.publish(`smogcast/${DEVICE}/telemetry`, reading(n + i)),
        ),
      );
    }
    const storedBeforeKill = new Set(
      (await readLines(s3Store(runtime.s3Url), 'raw/')).map((r) => r.seq),
    ).size;
    await stop(runtime, 'SIGKILL');
    await connection.close();
    runtime = await startRuntime(dataDir);
    // Assess: the restarted runtime replays the journal and delivers everything
    const store = s3Store(runtime.s3Url);
    let stored = new Set<number>();
    for (let attempt = 0; attempt < 60 && stored.size < READINGS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      stored = new Set((await readLines(store, 'raw/')).map((r) => r.seq as number));
    }
    expect(storedBeforeKill).toBeLessThan(READINGS);
    expect(runtime.output()).toMatch(/journal: replaying \d+ undelivered record/);
    expect(stored.size).toBe(READINGS);
    await stop(runtime, 'SIGTERM');
  });
});
