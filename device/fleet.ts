// A simulated fleet: backfills history at full speed, then publishes one reading per device per
// interval in real time. Every publish is QoS 1, bounded in flight, retried, and counted.
import { setTimeout as sleep } from 'node:timers/promises';
import { telemetryTopic } from '../functions/common/telemetry.js';
import {
  type BrokerTarget,
  createMqttClient,
  type DeviceConnection,
  openConnection,
} from './connection.js';
import { planFleet } from './fleet-plan.js';
import { InFlightLimiter } from './in-flight.js';
import { backfillTimestamps, nextSeq } from './schedule.js';
import { legacyPayload, syntheticReading } from './synthetic.js';

export interface FleetStats {
  /** Readings handed to MQTT (retries not counted again). */
  sent: number;
  /** Readings the broker acknowledged (PUBACK). */
  acked: number;
  /** Readings given up after every retry, or still unacknowledged when stop() gave up waiting. */
  failed: number;
  /** Publish attempts repeated after a failure. */
  retried: number;
  /** Readings awaiting PUBACK now. */
  inFlight: number;
  devices: string[];
}

export interface FleetOptions {
  broker: BrokerTarget;
  /** Number of simulated devices (sim-001, …); ignored when deviceIds is given. */
  devices: number;
  deviceIds?: string[];
  seed: number;
  /** Hours of history published first, at full speed, ending now. */
  backfillHours: number;
  /** Spacing of readings in minutes (backfill grid and default real-time interval). Default 15. */
  stepMinutes?: number;
  /** After the backfill, keep publishing one reading per device every intervalMs. */
  realtime: boolean;
  intervalMs?: number;
  /** Publish the original blog post's payload instead of telemetry v1. */
  legacyPayload?: boolean;
  /** Max MQTT connections (local broker only). Default: one per device. */
  connections?: number;
  /** Max publishes awaiting PUBACK per connection. Default 100. */
  maxInFlightPerConnection?: number;
  /** Attempts per reading before it is counted as failed. Default 3. */
  maxAttempts?: number;
  /** How long stop() waits for outstanding PUBACKs. Default 10 s. */
  drainTimeoutMs?: number;
  /** Called after every acknowledged or failed reading, and once after stop(). */
  onProgress?: (stats: FleetStats) => void;
  /** Called with the error of each failed attempt (e.g. for logging). */
  onPublishError?: (error: unknown, deviceId: string) => void;
  /** Wall clock, epoch ms. */
  now?: () => number;
}

export interface Fleet {
  stats(): FleetStats;
  /** Resolves when every backfill reading is acknowledged or counted as failed (or on stop). */
  backfillDone: Promise<void>;
  /** Stops timers, waits (bounded) for outstanding PUBACKs, disconnects. Idempotent. */
  stop(): Promise<void>;
}

const RETRY_BACKOFF_MS = 250;

interface Channel {
  connection: DeviceConnection;
  limiter: InFlightLimiter;
}

const connectAll = async (
  target: BrokerTarget,
  clientIds: string[],
  maxInFlight: number,
): Promise<Channel[]> => {
  const client = createMqttClient();
  const opened = await Promise.allSettled(
    clientIds.map((clientId) => openConnection(client, target, clientId)),
  );
  const connections = opened.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(connections.map((connection) => connection.close()));
    throw failure.reason;
  }
  return connections.map((connection) => ({
    connection,
    limiter: new InFlightLimiter(maxInFlight),
  }));
};

export const startFleet = async (options: FleetOptions): Promise<Fleet> => {
  const plan = planFleet(options);
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 3;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const channels = await connectAll(
    options.broker,
    plan.connections.map((connection) => connection.clientId),
    options.maxInFlightPerConnection ?? 100,
  );
  const channelOf = new Map<string, Channel>();
  plan.connections.forEach((connection, i) => {
    for (const deviceId of connection.deviceIds) channelOf.set(deviceId, channels[i] as Channel);
  });

  const counters = { sent: 0, acked: 0, failed: 0, retried: 0, inFlight: 0 };
  const stats = (): FleetStats => ({ ...counters, devices: [...plan.deviceIds] });
  const seqs = new Map<string, number>();
  let stopping = false;
  // Once stop() has given up on outstanding PUBACKs they are counted as failed; late
  // settlements must not count them a second time.
  let accountingClosed = false;
  const settle = (outcome: 'acked' | 'failed') => {
    if (accountingClosed) return;
    counters.inFlight--;
    counters[outcome]++;
    options.onProgress?.(stats());
  };

  const deliver = async (channel: Channel, deviceId: string, payload: string) => {
    const topic = telemetryTopic(deviceId);
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.connection.publish(topic, payload);
        return settle('acked');
      } catch (error) {
        options.onPublishError?.(error, deviceId);
        if (attempt >= maxAttempts) return settle('failed');
        counters.retried++;
        await sleep(RETRY_BACKOFF_MS * attempt);
      }
    }
  };

  /** Waits for a slot, then starts publishing one reading; resolves once it is handed over. */
  const publishReading = async (deviceId: string, ts: number) => {
    const channel = channelOf.get(deviceId) as Channel;
    await channel.limiter.acquire();
    if (stopping) return channel.limiter.release();
    const seq = nextSeq(seqs.get(deviceId), ts);
    seqs.set(deviceId, seq);
    const reading = syntheticReading({ seed: options.seed, deviceId, ts, seq });
    const payload = JSON.stringify(options.legacyPayload ? legacyPayload(reading) : reading);
    counters.sent++;
    counters.inFlight++;
    void deliver(channel, deviceId, payload).finally(() => channel.limiter.release());
  };

  const allIdle = () => Promise.all(channels.map((channel) => channel.limiter.idle()));

  const runBackfill = async () => {
    for (const ts of backfillTimestamps(now(), options.backfillHours, plan.stepMinutes)) {
      for (const deviceId of plan.deviceIds) {
        if (stopping) return;
        await publishReading(deviceId, ts);
      }
    }
    await allIdle();
  };

  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const ts = now();
    for (const deviceId of plan.deviceIds) {
      if (stopping) return;
      await publishReading(deviceId, ts);
    }
  };
  const startRealtime = () => {
    if (stopping || !options.realtime) return;
    timer = setInterval(() => void tick(), plan.intervalMs);
    // Without history there is nothing to show until the first interval: publish right away.
    if (options.backfillHours === 0 || counters.sent === 0) void tick();
  };

  const backfillDone = runBackfill().then(startRealtime);
  // Marks the promise handled so a caller that never awaits it gets no unhandled rejection.
  backfillDone.catch(() => {});

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      if (timer) clearInterval(timer);
      const drained = await Promise.race([
        allIdle().then(() => true),
        sleep(drainTimeoutMs, false, { ref: false }),
      ]);
      if (!drained) {
        accountingClosed = true;
        counters.failed += counters.inFlight;
        counters.inFlight = 0;
      }
      for (const channel of channels) channel.limiter.close();
      await Promise.all(channels.map((channel) => channel.connection.close()));
      options.onProgress?.(stats());
    })();
    return stopped;
  };

  return { stats, backfillDone, stop };
};
