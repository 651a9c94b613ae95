// kill -9 of the real runtime (`local/main.ts` in a child process, as `npm start` runs it) while
// mqtt.js clients stream QoS 1 readings, three times on the same data dir: after each restart
// every acknowledged reading is in raw/, and the raw records beyond one per reading are counted
// against what the restart replayed. Then a graceful stop (SIGINT) mid-stream: it delivers
// everything journaled, so the next start has nothing to replay.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RuntimeProcess,
  rawSeqs,
  replayedCount,
  runCrashCycles,
  startRuntimeProcess,
  stopRuntimeProcess,
  streamThenKill,
} from '../../../bench/crash-cycle.js';
import { teardown } from '../teardown.js';

let dataDir: string | undefined;
let runtime: RuntimeProcess | undefined;

afterEach(() => teardown([dataDir], () => stopRuntimeProcess(runtime, 'SIGKILL')));

describe('kill -9 mid-stream, three times, then SIGINT', () => {
  it('loses no acknowledged reading, counts duplicates, and a graceful stop leaves nothing to replay', async () => {
    // Prepare
    dataDir = await mkdtemp(join(tmpdir(), 'smogcast-kill-'));
    // Act: three kills mid-stream, each followed by a restart that delivers its journal
    const crashes = await runCrashCycles({
      dataDir,
      repetitions: 3,
      clients: 4,
      window: 25,
      // Past two 1 MiB batches (~7,000 readings each): stored, perhaps one mid-PUT, and buffered.
      killAfterAcked: 16_000,
    });
    runtime = crashes.runtime;
    const afterCrashes = await rawSeqs(runtime);
    // … then a graceful stop with publishes in flight, and one more start
    const graceful = await streamThenKill(runtime, {
      clients: 4,
      window: 25,
      killAfterAcked: 1_000,
      firstSeq: crashes.nextSeq,
      signal: 'SIGINT',
    });
    const stoppedOutput = runtime.output();
    runtime = await startRuntimeProcess(dataDir);
    const final = await rawSeqs(runtime);
    // Assess: every repetition killed the runtime with readings journaled and acknowledged
    expect(crashes.repetitions).toHaveLength(3);
    for (const cycle of crashes.repetitions) {
      expect(cycle.acked).toBeGreaterThanOrEqual(16_000);
      expect(cycle.replayed).toBeGreaterThan(0);
      // Only this stream's undelivered entries are replayed, never earlier, stored ones.
      expect(cycle.replayed).toBeLessThanOrEqual(cycle.journaled);
      expect(cycle.lost).toBe(0);
      // Duplicate raw records: at most 1% of what the restart replayed.
      expect(cycle.duplicates * 100).toBeLessThanOrEqual(cycle.replayed);
    }
    // The accounting adds up: raw/ holds each acknowledged reading once, plus the duplicates.
    const unique = new Set(afterCrashes);
    for (const seq of crashes.acked) expect(unique.has(seq)).toBe(true);
    const duplicates = crashes.repetitions.reduce((total, c) => total + c.duplicates, 0);
    expect(afterCrashes.length - unique.size).toBe(duplicates);
    // Graceful stop: everything journaled was delivered before exit; nothing left to replay.
    expect(stoppedOutput).toMatch(/SIGINT: stopping/);
    expect(replayedCount(runtime.output())).toBe(0);
    const finalUnique = new Set(final);
    for (const seq of graceful.acked) expect(finalUnique.has(seq)).toBe(true);
    expect(final.length - finalUnique.size).toBe(duplicates);
    await stopRuntimeProcess(runtime, 'SIGTERM');
  }, 900_000);
});
