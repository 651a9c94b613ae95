import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceConnection } from '../../../device/connection.js';

// The fleet's bookkeeping (retries, bounds, drain) is tested against scripted connections;
// test/integration/device covers the real MQTT client and broker.
type PublishScript = (topic: string, attempt: number) => Promise<void>;
const scripts = new Map<string, PublishScript>();
const closed: string[] = [];

vi.mock('../../../device/connection.js', () => ({
  createMqttClient: () => ({}),
  openConnection: async (_client: unknown, _target: unknown, clientId: string) => {
    const attempts = new Map<string, number>();
    const connection: DeviceConnection = {
      clientId,
      publish: (topic) => {
        const attempt = (attempts.get(topic) ?? 0) + 1;
        attempts.set(topic, attempt);
        const script = scripts.get(clientId) ?? (async () => {});
        return script(topic, attempt);
      },
      close: async () => {
        closed.push(clientId);
      },
    };
    return connection;
  },
}));

const { startFleet } = await import('../../../device/fleet.js');

const NOW = Date.UTC(2024, 4, 20, 12, 0, 0);
const base = {
  broker: { kind: 'local', url: 'mqtt://127.0.0.1:1883' } as const,
  seed: 1,
  stepMinutes: 60,
  realtime: false,
  now: () => NOW,
};

describe('startFleet bookkeeping', () => {
  afterEach(() => {
    scripts.clear();
    closed.length = 0;
  });

  it('retries a failed publish and counts a reading as failed only after every attempt', async () => {
    // Prepare: sim-001 fails once per reading then succeeds, sim-002 always fails
    scripts.set('sim-001', async (_topic, attempt) => {
      if (attempt % 2 === 1) throw new Error('timeout');
    });
    scripts.set('sim-002', async () => {
      throw new Error('not authorised');
    });
    const errors: string[] = [];

    // Act
    const fleet = await startFleet({
      ...base,
      devices: 2,
      backfillHours: 1,
      maxAttempts: 2,
      onPublishError: (_error, deviceId) => errors.push(deviceId),
    });
    await fleet.backfillDone;
    await fleet.stop();

    // Assess
    expect(fleet.stats()).toMatchObject({ sent: 2, acked: 1, failed: 1, retried: 2, inFlight: 0 });
    expect(errors.sort()).toEqual(['sim-001', 'sim-002', 'sim-002']);
    expect(closed.sort()).toEqual(['sim-001', 'sim-002']);
  });

  it('bounds publishes in flight and counts the unacknowledged ones as failed when stop gives up', async () => {
    // Prepare: the broker never acknowledges
    scripts.set('sim-001', () => new Promise<void>(() => {}));
    const fleet = await startFleet({
      ...base,
      devices: 1,
      backfillHours: 10,
      maxInFlightPerConnection: 3,
      drainTimeoutMs: 20,
    });

    // Act
    await new Promise((resolve) => setImmediate(resolve));
    const whileStuck = fleet.stats();
    await fleet.stop();
    await fleet.backfillDone;

    // Assess
    expect(whileStuck).toMatchObject({ sent: 3, inFlight: 3, acked: 0 });
    expect(fleet.stats()).toMatchObject({ sent: 3, acked: 0, failed: 3, inFlight: 0 });
    expect(closed).toEqual(['sim-001']);
  });

  it('reports progress after every settled reading and once more after stop', async () => {
    // Prepare
    const seen: number[] = [];

    // Act
    const fleet = await startFleet({
      ...base,
      devices: 2,
      backfillHours: 2,
      onProgress: (stats) => seen.push(stats.acked),
    });
    await fleet.backfillDone;
    await fleet.stop();

    // Assess
    expect(seen).toEqual([1, 2, 3, 4, 4]);
  });

  it('closes the connections already open when another one fails', async () => {
    // Prepare: reuse the mock, but make the second device's connection fail to open
    const connection = await import('../../../device/connection.js');
    const spy = vi.spyOn(connection, 'openConnection');
    spy.mockImplementationOnce(async (_c, _t, clientId) => ({
      clientId,
      publish: async () => {},
      close: async () => {
        closed.push(clientId);
      },
    }));
    spy.mockImplementationOnce(async () => {
      throw Object.assign(new Error('refused'), { name: 'DeviceConnectError' });
    });

    // Act
    const starting = startFleet({ ...base, devices: 2, backfillHours: 0 });

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'DeviceConnectError' });
    expect(closed).toEqual(['sim-001']);
  });
});
