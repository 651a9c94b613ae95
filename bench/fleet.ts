// `npm run bench:fleet -- --devices N --days D`: the whole local path at fleet scale. A
// simulated fleet (the device agent's publisher, MQTT QoS 1) backfills D days of 15-minute
// readings for N devices into the local runtime, started in-process as `npm start` starts it
// (broker → topic rule → journal → Firehose → lake → context), then one retrain runs and the
// API is measured. In the same run, the same fleet publishes to the same broker with a rule that
// does nothing: the floor the full path is compared with. Progress on stderr; the last stdout
// line is JSON:
//   readingsPerSec (end to end: published until delivered to raw/), floorReadingsPerSec,
//   secondsToFirstForecast (from the last backfilled reading acknowledged), peakRssMiB (the
//   runtime), trainerPeakRssMiB and fleetPublisherPeakRssMiB (their processes), pipelinePeakRssMiB,
//   statusP99Ms, devicesP99Ms, forecastP99Ms, etlSeconds, trainingSeconds, lost.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { S3ObjectStore } from '../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../functions/common/deps.js';
import { startBroker } from '../local/broker.js';
import { generateApiKey, type LocalRuntime, startLocalRuntime } from '../local/runtime.js';
import { RUNTIME_DEFAULTS } from '../local/runtime-defaults.js';
import { watchChildMemory } from './child-memory.js';
import { uniqueStoredReadings } from './stored-readings.js';
import { wholeArg } from './whole-arg.js';

const HELP = `Usage: npm run bench:fleet -- [--devices 50] [--days 3] [--step-minutes 15]
  [--connections 50] [--requests 200] [--readings-per-message 1] [--keep]
  (--keep leaves the data dir for inspection; --readings-per-message n sends v1 batches)`;

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '50' },
    days: { type: 'string', default: '3' },
    'step-minutes': { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    requests: { type: 'string', default: '200' },
    'readings-per-message': { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const whole = wholeArg(HELP);
const DEVICES = whole('devices', values.devices, 1, 100_000);
// A day or two of history trains too (the engine falls back to naive steps), but 3 days (the
// default) is the shortest backfill whose training and forecast are the model's own.
const DAYS = whole('days', values.days, 1, 365);
const STEP_MINUTES = whole('step-minutes', values['step-minutes'], 1, 1440);
const CONNECTIONS = Math.min(DEVICES, whole('connections', values.connections, 1, 10_000));
const REQUESTS = whole('requests', values.requests, 1, 100_000);
const READINGS_PER_MESSAGE = whole('readings-per-message', values['readings-per-message'], 1, 500);
const EXPECTED = DEVICES * Math.floor((DAYS * 24 * 60) / STEP_MINUTES);

const progress = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const seconds = (fromMs: number, toMs = performance.now()) => Math.round(toMs - fromMs) / 1000;

export interface PublisherStats {
  acked: number;
  inFlight: number;
  failed: number;
  done?: boolean;
}

/**
 * The fleet's backfill, publishing to `url` from a process of its own (bench/fleet-publisher.ts:
 * the fleet does not share the runtime's event loop or its memory), until every reading is
 * acknowledged.
 */
const backfill = async (url: string, label: string) => {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      join(import.meta.dirname, 'fleet-publisher.ts'),
      '--url',
      url,
      '--devices',
      String(DEVICES),
      '--days',
      String(DAYS),
      '--step-minutes',
      String(STEP_MINUTES),
      '--connections',
      String(CONNECTIONS),
      '--readings-per-message',
      String(READINGS_PER_MESSAGE),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let last: PublisherStats = { acked: 0, inFlight: 0, failed: 0 };
  let ackedAt = Number.NaN;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    last = JSON.parse(line) as PublisherStats;
    if (last.done) ackedAt = performance.now();
  });
  const ticker = setInterval(() => {
    progress(
      `[${label}] ${last.acked} / ${EXPECTED} acknowledged, ${last.inFlight} in flight, ${last.failed} failed`,
    );
  }, 5_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(ticker);
  if (code !== 0 || Number.isNaN(ackedAt))
    throw new Error(`[${label}] fleet publisher exited with ${code}`);
  return { stats: last, started, ackedAt };
};

/** The floor: the same broker, the rule hook doing nothing (acknowledged at once, nothing kept). */
const floor = async () => {
  const broker = await startBroker({ port: 0, onPublish: () => undefined });
  try {
    const { stats, started, ackedAt } = await backfill(broker.url, 'floor');
    return stats.acked / ((ackedAt - started) / 1000);
  } finally {
    await broker.close();
  }
};

const percentile = (samples: number[], p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
};

/** p50 / p99 (ms) of `REQUESTS` sequential GETs of the paths `pathOf(i)` gives. */
const latency = async (runtime: LocalRuntime, label: string, pathOf: (i: number) => string) => {
  const samples: number[] = [];
  let failures = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(`${runtime.apiUrl}${pathOf(i)}`, {
      headers: { 'x-api-key': runtime.apiKey },
    });
    await res.arrayBuffer();
    samples.push(performance.now() - t);
    if (res.status !== 200) failures++;
  }
  const out = {
    p50: Math.round(percentile(samples, 50) * 10) / 10,
    p99: Math.round(percentile(samples, 99) * 10) / 10,
    non200: failures,
  };
  progress(`${label}: p50 ${out.p50} ms, p99 ${out.p99} ms, ${failures} not 200`);
  return out;
};

/** Unique (deviceId, seq) readings under raw/. */
const storedReadings = (runtime: LocalRuntime): Promise<number> =>
  uniqueStoredReadings(
    new S3ObjectStore(createLocalS3Client(runtime.s3Url), RUNTIME_DEFAULTS.bucket),
  );

const deviceId = (i: number) => `sim-${String((i % DEVICES) + 1).padStart(3, '0')}`;

const main = async () => {
  // The training container and the fleet publisher are processes of their own: their memory
  // is not in process.resourceUsage(), so it is watched from /proc.
  const children = watchChildMemory();
  progress(
    `bench:fleet — ${DEVICES} devices × ${DAYS} days every ${STEP_MINUTES} min = ${EXPECTED} readings over ${CONNECTIONS} connections`,
  );
  const floorRate = await floor();
  progress(`floor: ${floorRate.toFixed(0)} readings/s (broker, rule doing nothing)`);

  const dataDir = await mkdtemp(join(tmpdir(), 'smogcast-bench-fleet-'));
  const runtime = await startLocalRuntime({
    ...RUNTIME_DEFAULTS,
    port: 0,
    mqttPort: 0,
    dataDir,
    apiKey: generateApiKey(),
    retrainIntervalMs: 0,
    // As npm start runs it.
    bufferBytes: 1024 * 1024,
    bufferIntervalMs: 5_000,
    log: (line) => {
      if (
        /: (RunEtl|Train|Evaluate|PrepareDeepAr)$|promoted|failed|training job .*: (started|Completed)/.test(
          line,
        )
      )
        progress(line);
    },
  });
  try {
    const ingest = setInterval(() => {
      const p = runtime.progress();
      progress(
        `runtime: ${p.received} received, ${p.stored} in raw/, context ${p.contextDone} applied / ${p.contextPending} waiting`,
      );
    }, 5_000);
    const { stats, started, ackedAt } = await backfill(runtime.mqttUrl, 'full');
    await runtime.drain();
    const deliveredAt = performance.now();
    clearInterval(ingest);
    const endToEnd = stats.acked / ((deliveredAt - started) / 1000);
    progress(
      `full path: ${stats.acked} readings acknowledged in ${seconds(started, ackedAt)} s, delivered and in context/ after ${seconds(started, deliveredAt)} s`,
    );

    const record = await runtime.retrain();
    if (record.status !== 'SUCCEEDED')
      throw new Error(`retrain ${record.status}: ${record.error} ${record.cause}`);
    let firstForecastAt = Number.NaN;
    for (let attempt = 0; attempt < 600; attempt++) {
      const res = await fetch(`${runtime.apiUrl}/forecast?deviceId=${deviceId(0)}&metric=pm25`, {
        headers: { 'x-api-key': runtime.apiKey },
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        firstForecastAt = performance.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    progress(
      `first forecast ${seconds(ackedAt, firstForecastAt)} s after the last backfilled reading (${record.outcome})`,
    );

    const status = await latency(runtime, 'GET /status', () => '/status');
    const devices = await latency(runtime, 'GET /devices', () => '/devices');
    const forecast = await latency(
      runtime,
      'GET /forecast',
      (i) => `/forecast?deviceId=${deviceId(i * 7)}&metric=pm25`,
    );
    const stored = await storedReadings(runtime);
    const childPeaks = await children.stop();
    const peakOf = (script: string) =>
      Math.max(0, ...childPeaks.filter((c) => c.command.includes(script)).map((c) => c.peakRssMiB));
    const runtimePeak = Math.round(process.resourceUsage().maxRSS / 1024);
    const trainerPeak = peakOf('train-cli');
    const result = {
      bench: 'fleet',
      devices: DEVICES,
      days: DAYS,
      stepMinutes: STEP_MINUTES,
      published: stats.acked,
      stored,
      lost: stats.acked - stored + stats.failed,
      readingsPerSec: Math.round(endToEnd),
      floorReadingsPerSec: Math.round(floorRate),
      ratio: Math.round((endToEnd / floorRate) * 1000) / 1000,
      secondsToFirstForecast: seconds(ackedAt, firstForecastAt),
      etlSeconds: record.stateSeconds?.RunEtl ?? null,
      trainingSeconds: record.stateSeconds?.Train ?? null,
      peakRssMiB: runtimePeak,
      trainerPeakRssMiB: trainerPeak,
      // Upper bound of the pipeline's memory: the runtime and the trainer at their peaks at once.
      pipelinePeakRssMiB: runtimePeak + trainerPeak,
      fleetPublisherPeakRssMiB: peakOf('fleet-publisher'),
      statusP99Ms: status.p99,
      devicesP99Ms: devices.p99,
      forecastP99Ms: forecast.p99,
      non200: status.non200 + devices.non200 + forecast.non200,
      requests: REQUESTS,
    };
    console.log(JSON.stringify(result));
    return result.lost === 0 && result.non200 === 0;
  } finally {
    await runtime.close({ prompt: true });
    if (!values.keep) await rm(dataDir, { recursive: true, force: true });
    else progress(`data kept in ${dataDir}`);
  }
};

main().then(
  // aws-crt can keep the event loop alive after its clients close.
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
