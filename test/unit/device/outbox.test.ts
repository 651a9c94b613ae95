import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../device/backoff.js';
import type { DeviceConnection } from '../../../device/connection.js';
import { Outbox, type OutboxMessage } from '../../../device/outbox.js';
import { tempDirPerTest } from '../temp-dir.js';

/** A connection whose link and acknowledgements the test controls. */
const fakeConnection = () => {
  const listeners: Array<(up: boolean) => void> = [];
  const published: string[] = [];
  let up = true;
  let fail = false;
  const connection: DeviceConnection = {
    clientId: 'c',
    protocol: '5',
    publish: async (_topic, payload) => {
      if (fail) throw new Error('no PUBACK');
      published.push(String(payload));
    },
    isConnected: () => up,
    onStateChange: (listener) => listeners.push(listener),
    close: async () => {},
  };
  return {
    connection,
    published,
    setUp: (value: boolean) => {
      up = value;
      for (const listener of listeners) listener(value);
    },
    setFailing: (value: boolean) => {
      fail = value;
    },
  };
};

const message = (n: number): OutboxMessage => ({ deviceId: 'd', topic: 't', payload: `m${n}` });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const dir = tempDirPerTest('smogcast-outbox-');

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const policy = { baseMs: 100, maxMs: 1_000 };
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(4, policy, () => 0)).toBe(0);
  });
});

describe('Outbox', () => {
  it('holds readings while offline and sends them in order after reconnecting', async () => {
    // Prepare
    const link = fakeConnection();
    link.setUp(false);
    const outbox = new Outbox({ connection: link.connection, maxInFlight: 2, maxQueued: 100 });
    // Act
    for (let n = 0; n < 5; n++) outbox.enqueue(message(n));
    await tick();
    const offline = [...link.published];
    link.setUp(true);
    await outbox.idle();
    // Assess
    expect(offline).toEqual([]);
    expect(link.published).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(outbox.queued).toBe(0);
  });

  it('puts a failed publish back in front and retries it after a backoff', async () => {
    const link = fakeConnection();
    const retries: string[] = [];
    const outbox = new Outbox({
      connection: link.connection,
      maxInFlight: 1,
      maxQueued: 100,
      backoff: { baseMs: 1, maxMs: 2 },
      onRetry: (_e, m) => retries.push(m.payload),
    });
    link.setFailing(true);
    outbox.enqueue(message(0));
    outbox.enqueue(message(1));
    await tick();
    link.setFailing(false);
    await outbox.idle();
    expect(retries.length).toBeGreaterThan(0);
    expect(new Set(retries)).toEqual(new Set(['m0']));
    expect(link.published).toEqual(['m0', 'm1']);
  });

  it('spools the overflow to disk, keeps what is left at close and sends it on the next start', async () => {
    // Prepare
    const spoolPath = join(dir(), 'c.ndjson');
    const link = fakeConnection();
    link.setUp(false);
    const first = new Outbox({
      connection: link.connection,
      maxInFlight: 1,
      maxQueued: 2,
      spoolPath,
    });
    for (let n = 0; n < 5; n++) first.enqueue(message(n));
    // Act
    const closed = first.close();
    const spooled = (await readFile(spoolPath, 'utf8')).trim().split('\n');
    const next = fakeConnection();
    const second = new Outbox({
      connection: next.connection,
      maxInFlight: 1,
      maxQueued: 2,
      spoolPath,
    });
    second.enqueue(message(5));
    await second.idle();
    // Assess
    expect(closed).toEqual({ kept: 5, lost: 0 });
    expect(spooled).toHaveLength(5);
    expect(next.published).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('drops and reports readings beyond its bounds when there is no spool', () => {
    const link = fakeConnection();
    link.setUp(false);
    const dropped: string[] = [];
    const outbox = new Outbox({
      connection: link.connection,
      maxInFlight: 1,
      maxQueued: 2,
      onDropped: (m) => dropped.push(m.payload),
    });
    for (let n = 0; n < 4; n++) outbox.enqueue(message(n));
    expect(dropped).toEqual(['m2', 'm3']);
    expect(outbox.close()).toEqual({ kept: 0, lost: 2 });
  });
});
