// `npm run bench:crash -- --repetitions 3 --clients 8 --kill-after 20000`: kill -9 of the local
// runtime mid-stream, repeated. mqtt.js clients stream QoS 1 readings into `npm start`'s runtime
// (a child process); once --kill-after publishes are acknowledged it is SIGKILLed with publishes
// in flight, restarted on the same data dir (the journal replays what was not delivered) and
// the lake is counted. The runtime delivers a batch per MiB (~7,000 readings) or 5 s, so a kill
// after 20,000 comes with batches stored, one perhaps mid-PUT, and the rest buffered. Progress on
// stderr; the last stdout line is JSON: per repetition acked, lost (acknowledged, not in raw/),
// journaled, deliveredBeforeKill (journaled, stored before the kill), replayed, duplicates (raw
// records beyond one per reading), duplicateRatio (duplicates / replayed); then the totals.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCrashCycles, stopRuntimeProcess } from './crash-cycle.js';
import { wholeArg } from './whole-arg.js';

const HELP = `Usage: npm run bench:crash -- [--repetitions 3] [--clients 8] [--window 50]
  [--kill-after 20000]   (--kill-after: acknowledged publishes per repetition before the kill)`;

const { values } = parseArgs({
  options: {
    repetitions: { type: 'string', default: '3' },
    clients: { type: 'string', default: '8' },
    window: { type: 'string', default: '50' },
    'kill-after': { type: 'string', default: '20000' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const whole = wholeArg(HELP);

const progress = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const dataDir = await mkdtemp(join(tmpdir(), 'smogcast-bench-crash-'));
try {
  const result = await runCrashCycles({
    dataDir,
    repetitions: whole('repetitions', values.repetitions, 1, 100),
    clients: whole('clients', values.clients, 1, 200),
    window: whole('window', values.window, 1, 1_000),
    killAfterAcked: whole('kill-after', values['kill-after'], 1, 1_000_000),
    progress,
  });
  await stopRuntimeProcess(result.runtime, 'SIGTERM');
  const sum = (field: 'acked' | 'lost' | 'deliveredBeforeKill' | 'replayed' | 'duplicates') =>
    result.repetitions.reduce((total, r) => total + r[field], 0);
  const replayed = sum('replayed');
  const duplicates = sum('duplicates');
  console.log(
    JSON.stringify({
      repetitions: result.repetitions,
      acked: sum('acked'),
      lost: sum('lost'),
      deliveredBeforeKill: sum('deliveredBeforeKill'),
      replayed,
      duplicates,
      duplicateRatio: replayed === 0 ? 0 : duplicates / replayed,
    }),
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
