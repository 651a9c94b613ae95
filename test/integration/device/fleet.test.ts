import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceIdFromTopic, parseTelemetry, type Reading } from '../../../core/telemetry.js';
import { startFleet } from '../../../device/fleet.js';
import { runBackfill, withLocalFleet } from './local-fleet.js';
import { startTestBroker, type TestBroker } from './test-broker.js';

const NOW = Date.UTC(2024, 4, 20, 12, 7, 0);
const DEVICES = ['sim-001', 'sim-002', 'sim-003'];

const parseAll = (broker: TestBroker): Reading[] =>
  broker.received.map((message) => {
    const topicDeviceId = deviceIdFromTopic(message.topic);
    const result = parseTelemetry(JSON.parse(message.payload), {
      ...(topicDeviceId === undefined ? {} : { topicDeviceId }),
      now: NOW,
    });
    if (!result.ok) throw new Error(`invalid telemetry on ${message.topic}: ${result.reason}`);
    return result.reading;
  });

describe('startFleet against a local aedes broker', () => {
  let broker: TestBroker;
  beforeEach(async () => {
    broker = await startTestBroker();
  });
  afterEach(() => broker.close());

  it('backfills every device on its own topic with valid, ordered telemetry v1', async () => {
    // Prepare + Act
    const fleet = await runBackfill(broker.url, {
      devices: 3,
      seed: 7,
      backfillHours: 6,
      stepMinutes: 15,
      now: () => NOW,
    });

    // Assess
    const stats = fleet.stats();
    expect(stats.devices).toEqual(DEVICES);
    expect(stats).toMatchObject({ sent: 72, acked: 72, failed: 0, inFlight: 0 });
    expect(broker.received).toHaveLength(stats.acked);
    for (const message of broker.received) {
      expect(message.topic).toMatch(/^smogcast\/sim-00[1-3]\/telemetry$/);
    }
    const readings = parseAll(broker);
    for (const deviceId of DEVICES) {
      const own = readings.filter((reading) => reading.deviceId === deviceId);
      expect(own).toHaveLength(24);
      const seqs = own.map((reading) => reading.seq as number);
      expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] as number))).toBe(true);
      const times = own.map((reading) => reading.ts);
      expect(times.at(-1)).toBe(Date.UTC(2024, 4, 20, 12, 0, 0));
      expect(times[0]).toBe(Date.UTC(2024, 4, 20, 6, 15, 0));
    }
  });

  it('publishes the legacy payload shape, which the ingest side maps back', async () => {
    // Prepare + Act
    await runBackfill(broker.url, {
      devices: 2,
      seed: 7,
      backfillHours: 1,
      legacyPayload: true,
      now: () => NOW,
    });

    // Assess
    expect(broker.received).toHaveLength(8);
    const first = JSON.parse(broker.received[0]?.payload ?? '{}') as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(
      [
        'carbon_monoxide',
        'latitude',
        'longitude',
        'nitrogen_dioxide',
        'ozone',
        'particullate_matter',
        'sulfure_dioxide',
        'timestamp',
      ].sort(),
    );
    const readings = parseAll(broker);
    expect(new Set(readings.map((reading) => reading.deviceId))).toEqual(
      new Set(['sim-001', 'sim-002']),
    );
    expect(readings.every((reading) => reading.pm25 !== null && reading.o3 !== null)).toBe(true);
  });

  it('shares connections when asked and keeps publishing in real time until stopped', async () => {
    // Prepare
    let clock = NOW;
    const options = {
      devices: 4,
      connections: 2,
      seed: 1,
      backfillHours: 0,
      realtime: true,
      intervalMs: 20,
      now: () => {
        clock += 1000;
        return clock;
      },
    };

    // Act: bounded wait for a few real-time rounds
    const { stats, afterStop } = await withLocalFleet(broker.url, options, async (fleet) => {
      for (let i = 0; i < 500 && fleet.stats().acked < 12; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await fleet.stop();
      const stopped = broker.received.length;
      await new Promise((resolve) => setTimeout(resolve, 60));
      return { stats: fleet.stats(), afterStop: stopped };
    });

    // Assess
    expect(stats.acked).toBeGreaterThanOrEqual(12);
    expect(stats.sent).toBe(stats.acked + stats.failed);
    expect(new Set(broker.received.map((message) => message.clientId))).toEqual(
      new Set(['fleet-sim-001', 'fleet-sim-002']),
    );
    expect(broker.received.length).toBe(afterStop);
    expect(parseAll(broker)).toHaveLength(afterStop);
  });

  it('rejects when the broker is unreachable', async () => {
    // Prepare
    const gone = await startTestBroker();
    const url = gone.url;
    await gone.close();

    // Act
    const starting = startFleet({
      broker: { kind: 'local', url },
      devices: 1,
      seed: 1,
      backfillHours: 0,
      realtime: false,
    });

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'DeviceConnectError' });
  });
});
