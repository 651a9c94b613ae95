// kill -9 cycles against the real local runtime (`local/main.ts`, as `npm start` runs it, in a
// child process): mqtt.js clients stream QoS 1 readings, the runtime is SIGKILLed mid-stream and
// restarted on the same data dir, which replays its journal. Each cycle reports what was
// acknowledged, what of it raw/ lacks, what the restart replayed and how many raw records are
// duplicates. Used by `npm run bench:crash` (figures) and the crash test (assertions).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { rawObjectText } from '../core/raw-object.js';
import { splitLines } from '../core/text.js';
import { S3ObjectStore } from '../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../functions/common/deps.js';

const ROOT = join(import.meta.dirname, '..');
export const CRASH_API_KEY = 'crash-cycle-key';

export interface RuntimeProcess {
  child: ChildProcess;
  mqttUrl: string;
  s3Url: string;
  apiUrl: string;
  output: () => string;
}

/**
 * Starts `local/main.ts` with no simulated devices (unless `args` says otherwise: a later flag
 * wins); resolves once it prints its URLs.
 */
export const startRuntimeProcess = (
  dataDir: string,
  args: readonly string[] = [],
): Promise<RuntimeProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/main.ts',
        '--devices',
        '0',
        '--port',
        '0',
        '--mqtt-port',
        '0',
        ...args,
      ],
      {
        cwd: ROOT,
        // TMPDIR: whatever the child writes to the temp folder (tsx's cache) goes with dataDir.
        env: {
          ...process.env,
          SMOGCAST_DATA_DIR: dataDir,
          SMOGCAST_API_KEY: CRASH_API_KEY,
          TMPDIR: dataDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    const timer = setTimeout(() => reject(new Error(`runtime did not start:\n${text}`)), 60_000);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const found = [/MQTT\s+(mqtt:\/\/\S+)/, /S3\s+(http:\/\/\S+)/, /API\s+(http:\/\/\S+)/].map(
        (pattern) => pattern.exec(text)?.[1],
      );
      const [mqttUrl, s3Url, apiUrl] = found;
      if (mqttUrl && s3Url && apiUrl) {
        clearTimeout(timer);
        resolve({ child, mqttUrl, s3Url, apiUrl, output: () => text });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${text}`));
    });
  });

/** Sends `signal` to the runtime (if it still runs) and waits for it to exit. */
export const stopRuntimeProcess = async (
  runtime: RuntimeProcess | undefined,
  signal: NodeJS.Signals,
): Promise<void> => {
  if (!runtime || runtime.child.exitCode !== null || runtime.child.signalCode !== null) return;
  const exited = new Promise((resolve) => runtime.child.once('exit', resolve));
  runtime.child.kill(signal);
  await exited;
};

export const lakeStore = (runtime: RuntimeProcess) =>
  new S3ObjectStore(createLocalS3Client(runtime.s3Url), 'smogcast-lake');

/** Every raw/ record's seq, duplicates included. */
export const rawSeqs = async (runtime: RuntimeProcess): Promise<number[]> => {
  const store = lakeStore(runtime);
  const seqs: number[] = [];
  for (const key of await store.list('raw/')) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    for (const line of splitLines(rawObjectText(bytes))) seqs.push(JSON.parse(line).seq as number);
  }
  return seqs;
};

export interface StatusRecords {
  received: number;
  stored: number;
  errors: number;
  refused: number;
  unmatched: number;
}

export const statusRecords = async (runtime: RuntimeProcess): Promise<StatusRecords> => {
  const response = await fetch(`${runtime.apiUrl}/status`, {
    headers: { 'x-api-key': CRASH_API_KEY },
  });
  if (!response.ok) throw new Error(`GET /status answered ${response.status}`);
  return ((await response.json()) as { records: StatusRecords }).records;
};

/** Polls /status (bounded) until everything journaled is stored; false if it never is. */
export const waitDelivered = async (runtime: RuntimeProcess, attempts = 240): Promise<boolean> => {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const r = await statusRecords(runtime);
    if (r.received > 0 && r.stored + r.errors === r.received) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
};

/** The number the restarted runtime printed as replayed from its journal (0 if none). */
export const replayedCount = (output: string): number =>
  Number(/journal: replaying (\d+) undelivered record/.exec(output)?.[1] ?? 0);

export interface StreamOptions {
  clients: number;
  /** Publishes each client keeps in flight. */
  window: number;
  /** SIGKILL the runtime once this many publishes of this stream are acknowledged. */
  killAfterAcked: number;
  /** The next seq to publish (seqs are unique over the whole run). */
  firstSeq: number;
  /** How the runtime is stopped: SIGKILL (a crash, the default) or SIGINT (Ctrl-C). */
  signal?: NodeJS.Signals;
}

export interface StreamResult {
  acked: Set<number>;
  /** The next unused seq. */
  nextSeq: number;
}

const reading = (seq: number, deviceId: string, baseMs: number) =>
  JSON.stringify({
    deviceId,
    // One second apart, in the past: inside the rule's timestamp bounds.
    ts: new Date(baseMs + seq * 1_000).toISOString(),
    seq,
    pm25: seq % 97,
  });

/**
 * mqtt.js clients (MQTT 3.1.1, clean session, no reconnect) publish QoS 1 readings until
 * `killAfterAcked` are acknowledged; then the runtime is sent `signal` (SIGKILL unless told)
 * with publishes in flight.
 */
export const streamThenKill = async (
  runtime: RuntimeProcess,
  options: StreamOptions,
): Promise<StreamResult> => {
  const acked = new Set<number>();
  let nextSeq = options.firstSeq;
  const baseMs = Date.now() - 3 * 24 * 3_600_000;
  let killing: Promise<void> | undefined;
  const signal = options.signal ?? 'SIGKILL';
  // Resolved once the runtime is gone: a publish it never answered may never settle.
  let markGone = (): void => undefined;
  const gone = new Promise<void>((resolve) => {
    markGone = resolve;
  });
  const kill = () => {
    killing ??= stopRuntimeProcess(runtime, signal).then(markGone);
    return killing;
  };
  const clients = await Promise.all(
    Array.from({ length: options.clients }, (_, c) =>
      mqtt.connectAsync(runtime.mqttUrl, {
        clientId: `crash-${c}-${options.firstSeq}`,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      }),
    ),
  );
  const publishLoop = async (client: mqtt.MqttClient, c: number) => {
    const deviceId = `crash-${String(c).padStart(3, '0')}`;
    const topic = `smogcast/${deviceId}/telemetry`;
    const inFlight = new Set<Promise<void>>();
    // Bounded: a client stops at the kill (its connection closes) or after 60,000 publishes.
    for (let sent = 0; !killing && client.connected && sent < 60_000; sent++) {
      const seq = nextSeq++;
      const work = client.publishAsync(topic, reading(seq, deviceId, baseMs), { qos: 1 }).then(
        () => {
          acked.add(seq);
          if (acked.size >= options.killAfterAcked) void kill();
        },
        () => undefined,
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
      if (inFlight.size >= options.window) await Promise.race([...inFlight, gone]);
    }
    await Promise.race([Promise.allSettled(inFlight), gone]);
  };
  const loops = clients.map((client, c) => publishLoop(client, c));
  // A client whose connection the kill closed leaves its loop; the rest see `killing`.
  await Promise.race([Promise.all(loops), new Promise((resolve) => setTimeout(resolve, 120_000))]);
  await kill();
  for (const client of clients) client.end(true);
  await Promise.all(loops);
  return { acked, nextSeq };
};

export interface CycleFigures {
  acked: number;
  lost: number;
  /** Records journaled during the stream (acknowledged or not when the kill came). */
  journaled: number;
  /** Of those, stored before the kill, so not replayed. */
  deliveredBeforeKill: number;
  replayed: number;
  duplicates: number;
  duplicateRatio: number;
}

export interface CrashCycleOptions extends Omit<StreamOptions, 'firstSeq' | 'signal'> {
  dataDir: string;
  repetitions: number;
  progress?: (line: string) => void;
}

export interface CrashCycleResult {
  repetitions: CycleFigures[];
  /** The runtime after the last restart, everything delivered (the caller stops it). */
  runtime: RuntimeProcess;
  /** Every seq acknowledged over all repetitions. */
  acked: Set<number>;
  /** The first seq not published yet. */
  nextSeq: number;
}

/**
 * `repetitions` times: start (or restart) the runtime on `dataDir`, stream, SIGKILL mid-stream,
 * restart, wait until everything journaled is delivered, and count. Duplicates are the raw
 * records this restart added beyond one per seq.
 */
export const runCrashCycles = async (options: CrashCycleOptions): Promise<CrashCycleResult> => {
  const progress = options.progress ?? (() => undefined);
  const figures: CycleFigures[] = [];
  const everAcked = new Set<number>();
  let runtime = await startRuntimeProcess(options.dataDir);
  let nextSeq = 0;
  let duplicatesBefore = 0;
  try {
    for (let rep = 1; rep <= options.repetitions; rep++) {
      const receivedBefore = (await statusRecords(runtime)).received;
      const stream = await streamThenKill(runtime, { ...options, firstSeq: nextSeq });
      nextSeq = stream.nextSeq;
      for (const seq of stream.acked) everAcked.add(seq);
      progress(`repetition ${rep}: ${stream.acked.size} acknowledged, killed`);
      runtime = await startRuntimeProcess(options.dataDir);
      const replayed = replayedCount(runtime.output());
      if (!(await waitDelivered(runtime)))
        throw new Error('the restart never delivered its journal');
      const journaled = (await statusRecords(runtime)).received - receivedBefore;
      const seqs = await rawSeqs(runtime);
      const unique = new Set(seqs);
      const lost = [...everAcked].filter((seq) => !unique.has(seq)).length;
      const duplicatesNow = seqs.length - unique.size;
      const duplicates = duplicatesNow - duplicatesBefore;
      duplicatesBefore = duplicatesNow;
      const cycle = {
        acked: stream.acked.size,
        lost,
        journaled,
        deliveredBeforeKill: journaled - replayed,
        replayed,
        duplicates,
        duplicateRatio: replayed === 0 ? 0 : duplicates / replayed,
      };
      figures.push(cycle);
      progress(`repetition ${rep}: ${JSON.stringify(cycle)}`);
    }
  } catch (error) {
    await stopRuntimeProcess(runtime, 'SIGKILL');
    throw error;
  }
  return { repetitions: figures, runtime, acked: everAcked, nextSeq };
};
