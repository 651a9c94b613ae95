// The device agent CLI (`npm run device -- --help`): runs a simulated fleet against the local
// broker or AWS IoT Core and reports progress on stderr. Importing this module has no effect;
// only running it as the entry point does.
import { type AgentCommand, parseAgentArgs, USAGE } from './args.js';
import { describeTarget } from './connection.js';
import { isEntryPoint } from './entry-point.js';
import { AgentUsageError } from './errors.js';
import { type Fleet, type FleetStats, startFleet } from './fleet.js';
import { readReplayFile, type StationReading } from './replay.js';

const PROGRESS_EVERY_MS = 2_000;

export const formatProgress = (stats: FleetStats, ratePerSecond: number): string =>
  `[device] sent=${stats.sent} acked=${stats.acked} queued=${stats.queued} ` +
  `inFlight=${stats.inFlight} failed=${stats.failed} retried=${stats.retried} ` +
  `rate=${ratePerSecond.toFixed(1)}/s devices=${stats.devices.length}`;

const log = (line: string) => process.stderr.write(`${line}\n`);

const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  // The CRT rejects with plain strings, so a cause is not always an Error.
  const { cause: raw } = error;
  const cause = raw === undefined ? '' : `: ${raw instanceof Error ? raw.message : String(raw)}`;
  return `${error.message}${cause}`;
};

/** Prints a progress line every couple of seconds; returns a function printing the final one. */
const reportProgress = (fleet: Fleet): (() => void) => {
  let lastAcked = 0;
  let lastAt = Date.now();
  const print = () => {
    const stats = fleet.stats();
    const at = Date.now();
    const rate = ((stats.acked - lastAcked) * 1000) / Math.max(1, at - lastAt);
    lastAcked = stats.acked;
    lastAt = at;
    log(formatProgress(stats, rate));
  };
  const timer = setInterval(print, PROGRESS_EVERY_MS);
  return () => {
    clearInterval(timer);
    print();
  };
};

const loadReplay = async (files: string[]): Promise<StationReading[]> => {
  const readings: StationReading[] = [];
  for (const file of files) {
    const rows = await readReplayFile(file);
    log(`[device] replay ${file}: ${rows.length} readings of ${rows[0]?.station ?? 'no station'}`);
    readings.push(...rows);
  }
  return readings;
};

let lastErrorLog = 0;

const run = async (command: Extract<AgentCommand, { kind: 'run' }>): Promise<number> => {
  const replay =
    command.replayFiles.length === 0
      ? undefined
      : {
          readings: await loadReplay(command.replayFiles),
          speed: command.speed,
          alignToNow: command.alignNow,
        };
  log(
    `[device] connecting ${replay ? `${command.replayFiles.length} station(s)` : `${command.devices} device(s)`} ` +
      `to ${describeTarget(command.broker)} over MQTT ${command.protocol}`,
  );
  const fleet = await startFleet({
    ...command,
    ...(replay ? { replay } : {}),
    maxInFlightPerConnection: command.maxInFlight,
    maxQueuedPerConnection: command.maxQueued,
    onPublishError: (error, deviceId) => {
      // During an outage every queued reading fails in turn: say so once in a while, not each.
      const at = Date.now();
      if (at - lastErrorLog < PROGRESS_EVERY_MS) return;
      lastErrorLog = at;
      log(`[device] publish failed for ${deviceId}, will retry: ${describeError(error)}`);
    },
  });
  const finalProgress = reportProgress(fleet);
  const shutdown = async () => {
    await fleet.stop();
    finalProgress();
    return fleet.stats().failed === 0 ? 0 : 1;
  };

  if (!command.realtime || replay) {
    // A replay ends with its last reading; --no-realtime ends with the backfill.
    await (replay ? fleet.liveDone : fleet.backfillDone);
    return shutdown();
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal means "now": do not wait for PUBACKs again.
      if (stopping) process.exit(130);
      stopping = true;
      log(`[device] ${signal}: stopping`);
      // A clean stop is success even if the broker lost some readings (they were reported).
      void shutdown().then(() => resolve(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
};

/** Runs the CLI and returns its exit code (0 ok, 1 runtime failure, 2 bad flags). */
export const main = async (
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> => {
  let command: AgentCommand;
  try {
    command = parseAgentArgs(argv, env);
  } catch (error) {
    if (!(error instanceof AgentUsageError)) throw error;
    log(`error: ${error.message}\n(npm run device -- --help lists the flags)`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    return await run(command);
  } catch (error) {
    log(`[device] ${describeError(error)}`);
    return 1;
  }
};

if (isEntryPoint(import.meta.url)) {
  // Exit explicitly: a disconnected CRT client can keep the event loop alive (aws-crt-nodejs #600).
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      log(`[device] ${describeError(error)}`);
      process.exit(1);
    },
  );
}
