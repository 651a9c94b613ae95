// A broker restart in the middle of a run: the devices' connections drop, they reconnect by
// themselves, their offline queues resend, and every acknowledged reading is in the lake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLocalFleet } from '../device/local-fleet.js';
import { type IngestHarness, readLines, startIngestHarness } from './lake.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const DEVICES = 4;
const HOURS = 30;

let harness: IngestHarness;
beforeEach(async () => {
  harness = await startIngestHarness();
});
afterEach(() => harness.close());

describe('broker restart mid-run', () => {
  it('reconnects the devices and stores every acknowledged reading', async () => {
    // Prepare: 4 devices × 30 h of 5-minute readings, few in flight so the run spans the restart
    const acked = new Set<string>();
    const options = {
      devices: DEVICES,
      connections: 2,
      maxInFlightPerConnection: 5,
      seed: 3,
      backfillHours: HOURS,
      stepMinutes: 5,
      backoff: { baseMs: 50, maxMs: 500 },
      now: () => NOW,
    };
    const expected = DEVICES * HOURS * 12;
    // Act: restart the broker once a third of the readings are acknowledged
    const { before, reconnected, stats } = await withLocalFleet(
      harness.broker.url,
      options,
      async (fleet) => {
        while (fleet.stats().acked < expected / 3) await new Promise((r) => setTimeout(r, 5));
        const acknowledged = fleet.stats();
        await harness.restartBroker(300);
        // The new broker starts with no clients: both connections must come back by themselves
        // (bounded wait; the backfill cannot finish without them).
        let clients = 0;
        for (let i = 0; i < 600 && clients < options.connections; i++) {
          await new Promise((r) => setTimeout(r, 25));
          clients = harness.broker.clients();
        }
        await fleet.backfillDone;
        await fleet.stop();
        return { before: acknowledged, reconnected: clients, stats: fleet.stats() };
      },
    );
    await harness.ingest.flush();
    // Assess: nothing was given up, and the lake has every reading (duplicates allowed)
    expect(before.acked).toBeLessThan(expected);
    // The outage hit the run mid-way and both connections came back to the new broker. (Whether
    // a publish was in flight at that instant, and so counted in stats.retried, is timing.)
    expect(reconnected).toBe(options.connections);
    expect(stats).toMatchObject({ sent: expected, acked: expected, failed: 0, queued: 0 });
    for (const record of await readLines(harness.store, 'raw/')) {
      acked.add(`${record.deviceId}/${record.seq}`);
    }
    expect(acked.size).toBe(expected);
  });
});
