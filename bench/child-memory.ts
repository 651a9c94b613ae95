// Peak memory of the processes a benchmark's own process starts (the local training container,
// the fleet publisher): process.resourceUsage() counts only the calling process, and Node does
// not expose RUSAGE_CHILDREN. On Linux each live child's VmHWM (its peak resident set) is read
// from /proc every interval and the highest value seen per child is kept, labelled by what it
// runs. Elsewhere (no /proc) nothing is measured and the report says so by being empty.
import { readdir, readFile } from 'node:fs/promises';

export interface ChildPeak {
  pid: number;
  /** The child's command line, shortened to the script it runs. */
  command: string;
  peakRssMiB: number;
}

/** `VmHWM` of a /proc/<pid>/status text, in MiB (undefined when absent). */
export const peakRssOfStatus = (status: string): number | undefined => {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : undefined;
};

/** The parent pid of a /proc/<pid>/stat text (the field after the parenthesised name). */
export const parentOfStat = (stat: string): number | undefined => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
};

/** The script a node command line runs: the first .ts/.js argument outside node_modules
 * (loaders such as tsx's, passed with --require/--import, are skipped). */
export const scriptOf = (cmdline: string): string => {
  const args = cmdline.split('\0').filter(Boolean);
  const script = args.find(
    (a) => /\.(ts|js|mjs|cjs)$/.test(a) && !a.includes('/node_modules/') && !a.startsWith('file:'),
  );
  return script?.split('/').slice(-2).join('/') ?? args[0] ?? '?';
};

const readText = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** Watches the direct children of `parent` until stop(); returns each child's peak. */
export const watchChildMemory = (parent = process.pid, intervalMs = 500) => {
  const peaks = new Map<number, ChildPeak>();
  let sampling: Promise<void> = Promise.resolve();
  const sample = async () => {
    const pids = await readdir('/proc').catch(() => [] as string[]);
    for (const name of pids) {
      if (!/^\d+$/.test(name)) continue;
      const stat = await readText(`/proc/${name}/stat`);
      if (!stat || parentOfStat(stat) !== parent) continue;
      const peak = peakRssOfStatus((await readText(`/proc/${name}/status`)) ?? '');
      if (peak === undefined) continue;
      const pid = Number(name);
      const known = peaks.get(pid);
      if (known) known.peakRssMiB = Math.max(known.peakRssMiB, peak);
      else {
        const command = scriptOf((await readText(`/proc/${name}/cmdline`)) ?? '');
        peaks.set(pid, { pid, command, peakRssMiB: peak });
      }
    }
  };
  const timer = setInterval(() => {
    sampling = sampling.then(sample);
  }, intervalMs);
  timer.unref();
  return {
    stop: async (): Promise<ChildPeak[]> => {
      clearInterval(timer);
      await sampling;
      return [...peaks.values()];
    },
  };
};
