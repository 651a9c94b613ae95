// bench:fleet's memory of the processes it starts (the training container, the fleet).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  parentOfStat,
  peakRssOfStatus,
  scriptOf,
  watchChildMemory,
} from '../../../bench/child-memory.js';

describe('child memory', () => {
  it('reads VmHWM and the parent pid from /proc texts', () => {
    expect(peakRssOfStatus('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  1024 kB\n')).toBe(200);
    expect(peakRssOfStatus('Name:\tnode\n')).toBeUndefined();
    // a process name may hold spaces and parentheses
    expect(parentOfStat('4242 (node (worker) x) S 17 4242 4242 0 -1')).toBe(17);
    const tsxArgs =
      '--require\0/r/node_modules/tsx/dist/preflight.cjs\0--import\0file:///r/node_modules/tsx/dist/loader.mjs';
    expect(scriptOf(`/usr/bin/node\0${tsxArgs}\0/r/bench/fleet-publisher.ts\0--url\0x`)).toBe(
      'bench/fleet-publisher.ts',
    );
  });

  it.runIf(process.platform === 'linux')('keeps the peak of a child that has exited', async () => {
    const watch = watchChildMemory(process.pid, 50);
    // The child holds 64 MiB for a while, so the sampler sees it, then exits.
    const child = spawn(process.execPath, [
      '-e',
      'const b = Buffer.alloc(64 * 1024 * 1024, 1); setTimeout(() => console.log(b[0]), 600);',
    ]);
    await once(child, 'close');
    const peaks = await watch.stop();
    const peak = peaks.find((p) => p.pid === child.pid);
    expect(peak?.peakRssMiB).toBeGreaterThanOrEqual(64);
  });
});
