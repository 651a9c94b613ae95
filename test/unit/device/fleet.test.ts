import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceConnection } from '../../../device/connection.js';

// The fleet's bookkeeping (offline queue, retries, bounds, drain) is tested against scripted
// connections; test/integration/device covers the real MQTT clients and brokers.
type PublishScript = (topic: string, attempt: number) => Promise<void>;
const scripts = new Map<string, PublishScript>();
const closed: string[] = [];
const links = new Map<string, { up: boolean; set(up: boolean): void }>();

const scriptedConnection = (clientId: string): DeviceConnection => {
  const attempts = new Map<string, number>();
  const listeners: Array<(up: boolean) => void> = [];
  const link = {
    up: true,
    set(up: boolean) {
      link.up = up;
      for (const listener of listeners) listener(up);
    },
  };
  links.set(clientId, link);
  return {
    clientId,
    protocol: '3.1.1',
    publish: (topic, payload) => {
      const key = `${topic}|${payload}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const script = scripts.get(clientId) ?? (async () => {});
      return script(topic, attempt);
    },
    isConnected: () => link.up,
    onStateChange: (listener) => listeners.push(listener),
    close: async () => {
      closed.push(clientId);
    },
  };
};

vi.mock('../../../device/connection.js', () => ({
  createMqttClient: () => ({}),
  openConnection: async (_client: unknown, _target: unknown, clientId: string) =>
    scriptedConnection(clientId),
}));

const { startFleet } = await import('../../../device/fleet.js');

const NOW = Date.UTC(2024, 4, 20, 12, 0, 0);
const base = {
  broker: { kind: 'local', url: 'mqtt://127.0.0.1:1883' } as const,
  seed: 1,
  stepMinutes: 60,
  realtime: false,
  backoff: { baseMs: 2, maxMs: 10 },
  now: () => NOW,
};

describe('startFleet bookkeeping', () => {
  afterEach(() => {
    scripts.clear();
    links.clear();
    closed.length = 0;
  });

  it('retries a failed publish with backoff until the broker acknowledges it', async () => {
    // Prepare: every reading of sim-001 fails twice, then succeeds
    scripts.set('sim-001', async (_topic, attempt) => {
      if (attempt <= 2) throw new Error('timeout');
    });
    const errors: string[] = [];
    // Act
    const fleet = await startFleet({
      ...base,
      devices: 2,
      backfillHours: 2,
      onPublishError: (_error, deviceId) => errors.push(deviceId),
    });
    await fleet.backfillDone;
    await fleet.stop();
    // Assess
    expect(fleet.stats()).toMatchObject({ sent: 4, acked: 4, failed: 0, retried: 4, queued: 0 });
    expect(errors).toEqual(['sim-001', 'sim-001', 'sim-001', 'sim-001']);
    expect(closed.sort()).toEqual(['sim-001', 'sim-002']);
  });

  it('keeps readings while disconnected and sends them after the connection is back', async () => {
    // Prepare: the connection is down from the start
    const fleet = await startFleet({ ...base, devices: 1, backfillHours: 3 });
    links.get('sim-001')?.set(false);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const offline = fleet.stats();
    // Act
    links.get('sim-001')?.set(true);
    await fleet.backfillDone;
    await fleet.stop();
    // Assess: the first reading was sent before the link went down; the rest waited
    expect(offline.sent).toBeLessThanOrEqual(3);
    expect(offline.acked + offline.queued + offline.inFlight).toBe(offline.sent + offline.queued);
    expect(fleet.stats()).toMatchObject({ sent: 3, acked: 3, queued: 0, failed: 0 });
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
    // Assess: 3 in flight, the backfill generated only as far as the queue had room
    expect(whileStuck).toMatchObject({ sent: 3, inFlight: 3, acked: 0 });
    expect(whileStuck.queued).toBeLessThanOrEqual(3);
    const final = fleet.stats();
    expect(final.acked).toBe(0);
    expect(final.failed).toBe(3 + whileStuck.queued);
    expect(closed).toEqual(['sim-001']);
  });

  it('reports progress after every acknowledged reading and once more after stop', async () => {
    const seen: number[] = [];
    const fleet = await startFleet({
      ...base,
      devices: 2,
      backfillHours: 2,
      onProgress: (stats) => seen.push(stats.acked),
    });
    await fleet.backfillDone;
    await fleet.stop();
    expect(seen).toEqual([1, 2, 3, 4, 4]);
  });

  it('shares a fleet over a bounded number of connections', async () => {
    const fleet = await startFleet({ ...base, devices: 10, connections: 3, backfillHours: 1 });
    await fleet.backfillDone;
    await fleet.stop();
    expect(fleet.stats()).toMatchObject({ sent: 10, acked: 10 });
    expect(closed.sort()).toEqual(['fleet-sim-001', 'fleet-sim-002', 'fleet-sim-003']);
  });

  it('closes the connections already open when another one fails', async () => {
    // Prepare: the second device's connection fails to open
    const connection = await import('../../../device/connection.js');
    const spy = vi.spyOn(connection, 'openConnection');
    spy.mockImplementationOnce(async (_c, _t, clientId) => scriptedConnection(clientId));
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
