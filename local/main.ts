// `npm start`: the whole smogcast pipeline on this machine, offline. Starts the local stand-ins,
// a simulated fleet that backfills history and then reports in real time, retrains on a schedule
// and serves GET /forecast. Ctrl-C stops everything.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALGORITHM_CHOICES, type AlgorithmChoice } from '../core/engine-artifact.js';
import { MAX_READINGS_PER_MESSAGE } from '../core/telemetry.js';
import { type Fleet, startFleet } from '../device/fleet.js';
import { progressLine } from './progress-line.js';
import { recommendedReadingsPerMessage } from './raw-sample.js';
import { generateApiKey, type LocalRuntime, startLocalRuntime } from './runtime.js';
import { RUNTIME_DEFAULTS } from './runtime-defaults.js';

const HELP = `smogcast local runtime — the whole pipeline on this machine, no AWS needed.

Usage: npm start -- [options]

Options (environment variable in brackets):
  --port <n>              HTTP API port on 127.0.0.1 [PORT] (default 3000)
  --mqtt-port <n>         MQTT broker port on 127.0.0.1 [MQTT_PORT] (default 1883)
  --data-dir <dir>        where the lake and models live [SMOGCAST_DATA_DIR] (default ./.smogcast)
  --devices <n>           simulated devices (default 5; 0 = no simulator, bring your own)
  --backfill-days <n>     history the simulator publishes at start, at full speed (default 7)
  --step-minutes <n>      minutes between a device's readings (default 15)
  --interval-ms <n>       real-time publishing period per device (default 60000)
  --readings-per-message <k|recommended>  readings a simulated device batches into one message
                          (default 1); "recommended": the cost model's choice for --step-minutes
                          (\`npm run cost\`), the most that fit one 5 KB unit and stay live
  --retrain-minutes <n>   retrain schedule after the first run (default 60; 0 = once)
  --seed <n>              simulator seed (default 42)
  --shift-after-minutes <n>  change the simulated data distribution this long after start
                          (pollution × --shift-factor): the next retrain detects the drift
  --shift-factor <x>      factor of that change (default 3)
  --algorithm <a>         deepar | smogcast | both: what each retrain trains (default: the
                          serverless.yml stage param \`algorithm\`, deepar); \`npm run models\` shows why
                          a version won
  -h, --help              show this help

The API key is read from SMOGCAST_API_KEY, or generated and printed at start.
CORS_ALLOW_ORIGINS (comma-separated) lets browser apps on those origins call the API.
Endpoints: GET /forecast?deviceId=&metric=&horizon=&quantiles=   GET /devices   GET /status   GET /accuracy   GET /runs   GET /models
           GET /health   and the dashboard at /
`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`--${name} must be within ${min}..${max}`);
  return value;
};

const factor = (raw: string | undefined): number => {
  if (raw === undefined) return 3;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    throw new UsageError(`--shift-factor must be a number in (0, 100], got "${raw}"`);
  }
  return value;
};

const algorithmOption = (raw: string | undefined): AlgorithmChoice | undefined => {
  if (raw === undefined) return undefined;
  if (!(ALGORITHM_CHOICES as readonly string[]).includes(raw)) {
    throw new UsageError(
      `--algorithm must be one of ${ALGORITHM_CHOICES.join(', ')}, got "${raw}"`,
    );
  }
  return raw as AlgorithmChoice;
};

const parse = (argv: string[], env: NodeJS.ProcessEnv) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'mqtt-port': { type: 'string' },
      'data-dir': { type: 'string' },
      devices: { type: 'string' },
      'backfill-days': { type: 'string' },
      'step-minutes': { type: 'string' },
      'interval-ms': { type: 'string' },
      'readings-per-message': { type: 'string' },
      'retrain-minutes': { type: 'string' },
      seed: { type: 'string' },
      'shift-after-minutes': { type: 'string' },
      'shift-factor': { type: 'string' },
      algorithm: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  return {
    help: values.help === true,
    port: int('port', values.port ?? env.PORT, 3000, 0, 65535),
    mqttPort: int('mqtt-port', values['mqtt-port'] ?? env.MQTT_PORT, 1883, 0, 65535),
    dataDir: resolve(values['data-dir'] ?? env.SMOGCAST_DATA_DIR ?? './.smogcast'),
    devices: int('devices', values.devices, 5, 0, 1000),
    backfillDays: int('backfill-days', values['backfill-days'], 7, 0, 365),
    stepMinutes: int('step-minutes', values['step-minutes'], 15, 1, 1440),
    intervalMs: int('interval-ms', values['interval-ms'], 60_000, 100, 86_400_000),
    readingsPerMessage:
      values['readings-per-message'] === 'recommended'
        ? ('recommended' as const)
        : int(
            'readings-per-message',
            values['readings-per-message'],
            1,
            1,
            MAX_READINGS_PER_MESSAGE,
          ),
    retrainMinutes: int('retrain-minutes', values['retrain-minutes'], 60, 0, 10_080),
    seed: int('seed', values.seed, 42, 0, 2 ** 31),
    shiftAfterMinutes:
      values['shift-after-minutes'] === undefined
        ? undefined
        : int('shift-after-minutes', values['shift-after-minutes'], 0, 0, 100_000),
    shiftFactor: factor(values['shift-factor']),
    algorithm: algorithmOption(values.algorithm),
    apiKey: env.SMOGCAST_API_KEY,
  };
};

const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);

/** Period of the progress lines. */
const PROGRESS_MS = 5_000;
/** The local Firehose buffer interval (bufferIntervalMs below), as the recommendation needs it. */
const BUFFER_INTERVAL_MS = 5_000;

const main = async () => {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2), process.env);
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(HELP);
    process.exit(0);
  }
  await mkdir(options.dataDir, { recursive: true });
  const apiKey = options.apiKey || generateApiKey();
  const runtime: LocalRuntime = await startLocalRuntime({
    ...RUNTIME_DEFAULTS,
    port: options.port,
    mqttPort: options.mqttPort,
    dataDir: options.dataDir,
    apiKey,
    retrainIntervalMs: options.retrainMinutes * 60_000,
    ...(options.algorithm ? { policy: { algorithm: options.algorithm } } : {}),
    // Validated and trimmed by the functions' config, as on AWS.
    corsOrigins: process.env.CORS_ALLOW_ORIGINS?.split(','),
    bufferBytes: 1024 * 1024,
    bufferIntervalMs: BUFFER_INTERVAL_MS,
    log,
  });
  log(`Dashboard ${runtime.dashboardUrl}`);
  log(
    `API      ${runtime.apiUrl}   (GET /forecast, /devices, /status, /accuracy, /runs, /models, /health)`,
  );
  log(`MQTT     ${runtime.mqttUrl}   (topic smogcast/<deviceId>/telemetry)`);
  log(
    `S3       ${runtime.s3Url}   (bucket ${RUNTIME_DEFAULTS.bucket}, data in ${options.dataDir})`,
  );
  log(
    `API key  ${apiKey}${options.apiKey ? ' (from SMOGCAST_API_KEY)' : ' (generated; set SMOGCAST_API_KEY to fix it)'}`,
  );

  let fleet: Fleet | undefined;
  let stopping = false;
  // Every few seconds, one line on what changed: ingestion, delivery, context, the retrain state.
  let previous = runtime.progress();
  let previousAt = Date.now();
  const ticker = setInterval(() => {
    const current = runtime.progress();
    const at = Date.now();
    const line = progressLine(previous, current, (at - previousAt) / 1000);
    if (line) log(line);
    previous = current;
    previousAt = at;
  }, PROGRESS_MS);
  const shutdown = async (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting now (the journal keeps what was not delivered)`);
      process.exit(130);
    }
    stopping = true;
    const started = Date.now();
    log(
      `${signal}: stopping (journaled readings not yet delivered are replayed at the next start)`,
    );
    clearInterval(ticker);
    // The simulator's unsent readings are its own (the device agent spools them with --spool-dir).
    await fleet?.stop().catch(() => undefined);
    await runtime.close({ prompt: true });
    log(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // aws-crt can hold the event loop open for a while after its clients close.
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (options.devices > 0) {
    const readingsPerMessage =
      options.readingsPerMessage === 'recommended'
        ? recommendedReadingsPerMessage({
            devices: options.devices,
            readingMinutes: options.stepMinutes,
            firehoseBufferSeconds: BUFFER_INTERVAL_MS / 1000,
          }).readingsPerMessage
        : options.readingsPerMessage;
    if (readingsPerMessage > 1) log(`simulator: ${readingsPerMessage} readings per message`);
    fleet = await startFleet({
      broker: { kind: 'local', url: runtime.mqttUrl },
      // Ctrl-C must not wait on a long backfill queue.
      drainTimeoutMs: 1_000,
      devices: options.devices,
      seed: options.seed,
      backfillHours: options.backfillDays * 24,
      stepMinutes: options.stepMinutes,
      realtime: true,
      intervalMs: options.intervalMs,
      readingsPerMessage,
      shift:
        options.shiftAfterMinutes === undefined
          ? undefined
          : { atMs: Date.now() + options.shiftAfterMinutes * 60_000, factor: options.shiftFactor },
    });
    if (options.shiftAfterMinutes !== undefined) {
      log(
        `simulator: pollution × ${options.shiftFactor} from ${options.shiftAfterMinutes} min after start`,
      );
    }
    const started = Date.now();
    let lastAcked = 0;
    const progress = setInterval(() => {
      const s = fleet?.stats();
      if (!s || stopping) return;
      const rate = (s.acked - lastAcked) / (PROGRESS_MS / 1000);
      lastAcked = s.acked;
      log(
        `backfill: ${s.acked} readings acknowledged (${rate.toFixed(0)}/s), ${s.queued} queued, ${s.inFlight} in flight, ${s.failed} failed`,
      );
    }, PROGRESS_MS);
    await fleet.backfillDone;
    clearInterval(progress);
    const s = fleet.stats();
    log(
      `simulator: backfill done, ${s.acked} readings from ${s.devices.length} devices in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  if (!stopping) runtime.startSchedule();
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
