// `npm run bench:ingest`: a simulated fleet (the device agent's code, aws-iot-device-sdk-v2,
// QoS 1) publishing through the full local ingest path — broker → topic rule → write-ahead
// journal → Firehose twin → S3-compatible store — against the same run's floor: the broker
// alone (publish → in-process subscriber, nothing stored). Counts stored unique readings.
// --readings-per-message n sends telemetry v1 batches (rates are then readings/s).
// Last line: {"sent","stored","lost","msgsPerSec","floorMsgsPerSec","ratio","readingsPerMessage"}.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import { TELEMETRY_TOPIC_FILTER } from '../core/telemetry.js';
import { startFleet } from '../device/fleet.js';
import { S3ObjectStore } from '../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../functions/common/deps.js';
import { startBroker } from '../local/broker.js';
import type { Durability } from '../local/journal.js';
import { openJournalIngest } from '../local/journal-ingest.js';
import { startObjectStoreServer } from '../local/object-store-server.js';
import { uniqueStoredReadings } from './stored-readings.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    connections: { type: 'string', default: '8' },
    hours: { type: 'string', default: '5' },
    'in-flight': { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    durability: { type: 'string', default: 'machine' },
    'readings-per-message': { type: 'string', default: '1' },
  },
});
const READINGS_PER_MESSAGE = Number(values['readings-per-message']);
const DEVICES = Number(values.devices);
const CONNECTIONS = Number(values.connections);
const HOURS = Number(values.hours);
const IN_FLIGHT = Number(values['in-flight']);
const ROUNDS = Number(values.rounds);
const DURABILITY = values.durability as Durability;
// One reading per device per minute of history: DEVICES × HOURS × 60 messages per run.
const STEP_MINUTES = 1;
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

const log = (line: string) => process.stderr.write(`${line}\n`);

interface RunResult {
  sent: number;
  acked: number;
  stored: number;
  seconds: number;
}

const runFleet = async (url: string, label: string) => {
  const started = performance.now();
  const fleet = await startFleet({
    broker: { kind: 'local', url },
    devices: DEVICES,
    connections: CONNECTIONS,
    maxInFlightPerConnection: IN_FLIGHT,
    seed: 1,
    backfillHours: HOURS,
    stepMinutes: STEP_MINUTES,
    realtime: false,
    readingsPerMessage: READINGS_PER_MESSAGE,
    now: () => NOW,
  });
  const progress = setInterval(() => {
    const s = fleet.stats();
    log(`  [${label}] sent=${s.sent} acked=${s.acked} inFlight=${s.inFlight}`);
  }, 1_000);
  await fleet.backfillDone;
  clearInterval(progress);
  await fleet.stop();
  return { stats: fleet.stats(), started };
};

/** The floor: aedes with an in-process subscriber, no rule, no journal, no storage. */
const floorRun = async (): Promise<RunResult> => {
  const broker = await Aedes.createBroker();
  let received = 0;
  broker.subscribe(
    TELEMETRY_TOPIC_FILTER,
    (packet, callback) => {
      received +=
        READINGS_PER_MESSAGE === 1
          ? 1
          : ((JSON.parse(packet.payload.toString()) as { readings?: unknown[] }).readings?.length ??
            1);
      callback();
    },
    () => undefined,
  );
  const server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const { stats, started } = await runFleet(`mqtt://127.0.0.1:${port}`, 'floor');
    const seconds = (performance.now() - started) / 1000;
    return { sent: stats.sent, acked: stats.acked, stored: received, seconds };
  } finally {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
};

/** The full path: broker → rule → journal → Firehose twin → S3-compatible store. */
const fullRun = async (): Promise<RunResult> => {
  const dir = await mkdtemp(join(tmpdir(), 'smogcast-bench-ingest-'));
  const s3 = await startObjectStoreServer({ directory: join(dir, 's3'), bucket: 'bench' });
  const store = new S3ObjectStore(createLocalS3Client(s3.url), 'bench');
  const ingest = await openJournalIngest({
    store,
    journalDir: join(dir, 'journal'),
    durability: DURABILITY,
    // Firehose's default-sized hints scaled to a bench run: 1 MiB or 1 s.
    bufferBytes: 1024 * 1024,
    bufferIntervalMs: 1_000,
  });
  const broker = await startBroker({ onPublish: ingest.accept });
  try {
    const { stats, started } = await runFleet(broker.url, 'full');
    await ingest.flush();
    const seconds = (performance.now() - started) / 1000;
    const stored = await uniqueStoredReadings(store);
    return { sent: stats.sent, acked: stats.acked, stored, seconds };
  } finally {
    await broker.close();
    await ingest.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  }
};

const main = async () => {
  const perRun = DEVICES * HOURS * (60 / STEP_MINUTES);
  log(
    `bench:ingest — ${DEVICES} devices over ${CONNECTIONS} connections, ${perRun} QoS 1 messages per run, ` +
      `${ROUNDS} round(s), journal durability=${DURABILITY}, ${READINGS_PER_MESSAGE} reading(s) per message`,
  );
  let floorBest = 0;
  let fullBest = 0;
  let sent = 0;
  let stored = 0;
  let lost = 0;
  // Alternate floor and full runs so both see the same machine load; keep each one's best.
  for (let round = 1; round <= ROUNDS; round++) {
    const floor = await floorRun();
    const floorRate = floor.sent / floor.seconds;
    log(
      `round ${round} floor: ${floor.stored}/${floor.sent} received in ${floor.seconds.toFixed(2)} s → ${floorRate.toFixed(0)} msg/s`,
    );
    const full = await fullRun();
    const fullRate = full.sent / full.seconds;
    const fullLost = full.acked - full.stored + (full.sent - full.acked);
    log(
      `round ${round} full:  ${full.stored}/${full.sent} stored in ${full.seconds.toFixed(2)} s → ${fullRate.toFixed(0)} msg/s, lost ${fullLost}`,
    );
    floorBest = Math.max(floorBest, floorRate);
    fullBest = Math.max(fullBest, fullRate);
    sent += full.sent;
    stored += full.stored;
    lost += Math.max(0, full.sent - full.stored);
  }
  const ratio = fullBest / floorBest;
  log(
    `full path ${fullBest.toFixed(0)} msg/s vs broker-only floor ${floorBest.toFixed(0)} msg/s: ${(ratio * 100).toFixed(1)}% (target ≥ 50%), lost ${lost}`,
  );
  console.log(
    JSON.stringify({
      sent,
      stored,
      lost,
      msgsPerSec: Math.round(fullBest),
      floorMsgsPerSec: Math.round(floorBest),
      ratio: Math.round(ratio * 1000) / 1000,
      readingsPerMessage: READINGS_PER_MESSAGE,
    }),
  );
  // The CRT can keep the event loop alive after its clients close.
  process.exit(lost === 0 ? 0 : 1);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
