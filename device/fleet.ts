// A fleet of virtual devices over a bounded number of MQTT connections (one per thing on AWS).
// Readings come from a source (synthetic or CSV replay): the backfill is published as fast as
// the broker acknowledges it, then live readings when they are due. Every reading goes through
// its connection's offline queue (QoS 1, resent after reconnecting, backoff with jitter) and is
// counted: sent, acknowledged, queued, in flight, failed.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { basicIngestTopic, telemetryTopic } from '../core/telemetry.js';
import type { BackoffPolicy } from './backoff.js';
import { createBatcher } from './batcher.js';
import {
  type BrokerTarget,
  createMqttClient,
  type DeviceConnection,
  type MqttProtocol,
  openConnection,
} from './connection.js';
import { planFleet } from './fleet-plan.js';
import { Outbox } from './outbox.js';
import type { StationReading } from './replay.js';
import {
  type DeviceReading,
  type DistributionShift,
  type ReadingSource,
  replaySource,
  syntheticSource,
} from './sources.js';
import { legacyPayload } from './synthetic.js';

export interface FleetStats {
  /** Readings handed to MQTT (retries not counted again). */
  sent: number;
  /** Readings the broker acknowledged (PUBACK). */
  acked: number;
  /** Readings waiting in the offline queues (memory and spool files). */
  queued: number;
  /** Readings awaiting PUBACK now. */
  inFlight: number;
  /** Publish attempts repeated after a failure. */
  retried: number;
  /** Readings dropped by a full queue, or unacknowledged at stop with no spool to keep them. */
  failed: number;
  devices: string[];
}

export interface ReplayOptions {
  readings: StationReading[];
  /** Time acceleration factor; Infinity (default) = backfill mode, all at once. */
  speed?: number;
  alignToNow?: boolean;
}

export interface FleetOptions {
  broker: BrokerTarget;
  /** MQTT protocol version. Default 3.1.1 (the embedded broker speaks only 3.1.1). */
  protocol?: MqttProtocol;
  /** Number of simulated devices (sim-001, …); ignored when deviceIds or replay is given. */
  devices: number;
  deviceIds?: string[];
  /** Replay these station readings instead of the synthetic generator. */
  replay?: ReplayOptions;
  seed: number;
  /** Hours of synthetic history published first, at full speed, ending now. */
  backfillHours: number;
  /** Spacing of readings in minutes (backfill grid and default real-time interval). Default 15. */
  stepMinutes?: number;
  /** After the backfill, keep publishing (synthetic: one reading per device every intervalMs). */
  realtime: boolean;
  intervalMs?: number;
  /** Publish the original blog post's payload instead of telemetry v1. */
  legacyPayload?: boolean;
  /**
   * Readings per MQTT message (telemetry v1 batch). Default 1: one reading per message. A batch
   * is sent when a device has this many readings, and what is held is sent at the end of the
   * backfill and at stop. Not with legacyPayload.
   */
  readingsPerMessage?: number;
  /** Publish through Basic Ingest to this IoT rule ($aws/rules/<rule>/…): no messaging charge. */
  basicIngestRule?: string;
  /** Max MQTT connections (local broker only). Default: one per device. */
  connections?: number;
  /** Max publishes awaiting PUBACK per connection. Default 100. */
  maxInFlightPerConnection?: number;
  /** Readings kept in memory per connection while offline. Default 10,000. */
  maxQueuedPerConnection?: number;
  /** Delays between retries of a failed publish (exponential, full jitter). */
  backoff?: BackoffPolicy;
  /** Directory of the on-disk offline queues (overflow, and what is left at stop). */
  spoolDir?: string;
  /** How long stop() waits for queued readings and outstanding PUBACKs. Default 10 s. */
  drainTimeoutMs?: number;
  /** Called after every acknowledged or failed reading, and once after stop(). */
  onProgress?: (stats: FleetStats) => void;
  /** Called with the error of each failed attempt (e.g. for logging). */
  onPublishError?: (error: unknown, deviceId: string) => void;
  /** Wall clock, epoch ms. */
  now?: () => number;
  /** Synthetic source only: scale pollutant levels from a point in time (drift demos, tests). */
  shift?: DistributionShift;
  /** Synthetic source only: the values of `t + timeOffsetMs` are stamped `t` (reproducible replays). */
  timeOffsetMs?: number;
}

export interface Fleet {
  stats(): FleetStats;
  /** Resolves when every backfill reading is acknowledged (or on stop). */
  backfillDone: Promise<void>;
  /** Resolves when the live phase ends (a finished paced replay, or stop). */
  liveDone: Promise<void>;
  /** Stops publishing, waits (bounded) for the queues to drain, disconnects. Idempotent. */
  stop(): Promise<void>;
}

const connectAll = async (
  target: BrokerTarget,
  clientIds: string[],
  protocol: MqttProtocol,
): Promise<DeviceConnection[]> => {
  const client = createMqttClient();
  const opened = await Promise.allSettled(
    clientIds.map((clientId) => openConnection(client, target, clientId, protocol)),
  );
  const connections = opened.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(connections.map((connection) => connection.close()));
    throw failure.reason;
  }
  return connections;
};

export const startFleet = async (options: FleetOptions): Promise<Fleet> => {
  const now = options.now ?? Date.now;
  const replay = options.replay
    ? replaySource({
        readings: options.replay.readings,
        speed: options.replay.speed ?? Number.POSITIVE_INFINITY,
        alignToNow: options.replay.alignToNow ?? false,
        now,
      })
    : undefined;
  const plan = planFleet({
    ...options,
    ...(replay ? { deviceIds: replay.deviceIds } : {}),
  });
  const source: ReadingSource =
    replay ??
    syntheticSource({
      deviceIds: plan.deviceIds,
      seed: options.seed,
      backfillHours: options.backfillHours,
      stepMinutes: plan.stepMinutes,
      intervalMs: plan.intervalMs,
      now,
      shift: options.shift,
      timeOffsetMs: options.timeOffsetMs,
    });
  const connections = await connectAll(
    options.broker,
    plan.connections.map((connection) => connection.clientId),
    options.protocol ?? '3.1.1',
  );

  const counters = { sent: 0, acked: 0, retried: 0, failed: 0 };
  const outboxes: Outbox[] = [];
  const stats = (): FleetStats => {
    let queued = 0;
    let inFlight = 0;
    for (const outbox of outboxes) {
      queued += outbox.queued;
      inFlight += outbox.inFlight;
    }
    return { ...counters, queued, inFlight, devices: [...plan.deviceIds] };
  };
  if (options.spoolDir) mkdirSync(options.spoolDir, { recursive: true });
  const outboxOf = new Map<string, Outbox>();
  plan.connections.forEach((planned, i) => {
    const outbox = new Outbox({
      connection: connections[i] as DeviceConnection,
      maxInFlight: options.maxInFlightPerConnection ?? 100,
      maxQueued: options.maxQueuedPerConnection ?? 10_000,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.spoolDir
        ? { spoolPath: join(options.spoolDir, `${planned.clientId}.ndjson`) }
        : {}),
      // Counters count readings: a batch message counts as the readings it carries.
      onSent: (message) => {
        counters.sent += message.readings ?? 1;
      },
      onAcked: (message) => {
        counters.acked += message.readings ?? 1;
        options.onProgress?.(stats());
      },
      onRetry: (error, message) => {
        counters.retried++;
        options.onPublishError?.(error, message.deviceId);
      },
      onDropped: (message) => {
        counters.failed += message.readings ?? 1;
        options.onProgress?.(stats());
      },
    });
    outboxes.push(outbox);
    for (const deviceId of planned.deviceIds) outboxOf.set(deviceId, outbox);
  });

  const abort = new AbortController();
  const payloadOf = (reading: DeviceReading): string =>
    JSON.stringify(options.legacyPayload ? legacyPayload(reading) : reading);
  const readingsPerMessage = options.readingsPerMessage ?? 1;
  if (options.legacyPayload && readingsPerMessage !== 1) {
    throw new RangeError('the legacy payload has no batch form: readingsPerMessage must be 1');
  }
  const batcher = createBatcher(readingsPerMessage, payloadOf);
  const rule = options.basicIngestRule;
  const topicOf = (deviceId: string) =>
    rule === undefined ? telemetryTopic(deviceId) : basicIngestTopic(rule, deviceId);
  const send = (message: { deviceId: string; payload: string; readings: number }) => {
    const outbox = outboxOf.get(message.deviceId) as Outbox;
    outbox.enqueue({
      deviceId: message.deviceId,
      topic: topicOf(message.deviceId),
      payload: message.payload,
      ...(message.readings === 1 ? {} : { readings: message.readings }),
    });
    return outbox;
  };
  const enqueue = (reading: DeviceReading): Outbox => {
    const message = batcher.add(reading);
    return message ? send(message) : (outboxOf.get(reading.deviceId) as Outbox);
  };
  const flushHeld = () => {
    for (const message of batcher.flush()) send(message);
  };
  const allIdle = () => Promise.all(outboxes.map((outbox) => outbox.idle()));

  const runBackfill = async () => {
    for (const reading of source.backfill()) {
      if (abort.signal.aborted) return;
      // Backpressure: generate only as fast as the broker acknowledges.
      await enqueue(reading).waitForRoom();
    }
    flushHeld();
    await allIdle();
  };
  const runLive = async () => {
    if (!options.realtime && !replay) return;
    for await (const batch of source.live(abort.signal)) {
      for (const reading of batch) enqueue(reading);
    }
    flushHeld();
    await allIdle();
  };

  const backfillDone = runBackfill();
  const liveDone = backfillDone.then(() => (abort.signal.aborted ? undefined : runLive()));
  // Marks the promises handled so a caller that never awaits them gets no unhandled rejection.
  backfillDone.catch(() => {});
  liveDone.catch(() => {});

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      abort.abort();
      flushHeld(); // held readings are sent (or spooled) like any other
      const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        allIdle(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      for (const outbox of outboxes) counters.failed += outbox.close().lost;
      await Promise.all(connections.map((connection) => connection.close()));
      options.onProgress?.(stats());
    })();
    return stopped;
  };

  return { stats, backfillDone, liveDone, stop };
};
