// The context reader reads fewer pages than it used to (not the next hour before a reading can
// be in it): its contexts and fleet views must stay those of every page after the history's
// end, for a seeded lake with device clocks running ahead and rollups that fall behind.
import { describe, expect, it } from 'vitest';
import {
  type ContextHistory,
  type ContextPage,
  type FleetSummaryShard,
  historyShardOf,
  overlayPage,
  pageShardOf,
  type SummaryEntry,
  withPages,
} from '../../../../core/context-shards.js';
import {
  contextHistoryKey,
  contextPagePrefix,
  fleetSummaryKey,
  hourOfContextPageKey,
} from '../../../../core/lake.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import {
  createContextReader,
  newestLiveHour,
} from '../../../../functions/common/context-reader.js';
import { readJson } from '../../../../functions/update-context/rollup.js';
import { updateContext } from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

const layout = { shards: 4, historyShards: 8, contextHours: 48 };
const ids = Array.from({ length: 24 }, (_, i) => `sensor-${String(i).padStart(3, '0')}`);
/** Clocks this far ahead of arrival: just inside what validation accepts (15 min). */
const AHEAD_MS = 14 * 60_000;

/** Every page of the shard from `through` on, whatever the clock: the whole truth. */
const pagesFrom = async (store: MemoryObjectStore, shard: number, through: number) => {
  const hours = (await store.list(contextPagePrefix(shard)))
    .map(hourOfContextPageKey)
    .filter((h): h is number => h !== undefined && h >= through)
    .sort((a, b) => a - b);
  const pages = await Promise.all(
    hours.map((h) => readJson<ContextPage>(store, `${contextPagePrefix(shard)}${stamp(h)}.json`)),
  );
  return pages.filter((p): p is ContextPage => p !== undefined);
};
const stamp = (hour: number) => new Date(hour).toISOString().slice(0, 13).replace(/[-T]/g, '');

const expectedContext = async (store: MemoryObjectStore, deviceId: string) => {
  const history = await readJson<ContextHistory>(
    store,
    contextHistoryKey(historyShardOf(deviceId, layout)),
  );
  const pages = await pagesFrom(store, pageShardOf(deviceId, layout), history?.through ?? 0);
  return withPages(history?.devices[deviceId], deviceId, pages, layout.contextHours);
};

const expectedFleet = async (store: MemoryObjectStore, at: number) => {
  const out: Array<SummaryEntry & { deviceId: string }> = [];
  for (let shard = 0; shard < layout.shards; shard++) {
    const summary = await readJson<FleetSummaryShard>(store, fleetSummaryKey(shard));
    const through = summary?.through ?? Math.floor(at / HOUR) * HOUR - HOUR;
    const devices = new Map<string, SummaryEntry>(Object.entries(summary?.devices ?? {}));
    for (const page of await pagesFrom(store, shard, through)) {
      for (const [id, entry] of Object.entries(page.devices)) {
        devices.set(id, overlayPage(devices.get(id), page.hour, entry));
      }
    }
    for (const [deviceId, entry] of devices) out.push({ deviceId, ...entry });
  }
  return out.sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
};

describe('context reader', () => {
  it('reads the next hour only once a reading stamped ahead can be in it', () => {
    expect(newestLiveHour(T0 + 44 * 60_000 + 59_999)).toBe(T0);
    expect(newestLiveHour(T0 + 45 * 60_000)).toBe(T0 + HOUR);
    expect(newestLiveHour(T0 + HOUR - 1)).toBe(T0 + HOUR);
  });

  it('gives every page after the history: clocks ahead, rollups on time, behind and far behind', async () => {
    // Prepare: deliveries every 10 minutes for 9 hours; a third of the devices stamp 14 minutes
    // ahead. From hour 4 on no shard advances (budget 0): the rollup falls behind, 3 h and more.
    const store = new MemoryObjectStore('lake');
    let seq = 0;
    const checks: number[] = [];
    for (let at = T0; at < T0 + 9 * HOUR; at += 10 * 60_000) {
      seq += 1;
      const lines = ids.map((deviceId, i) =>
        rawLine({
          deviceId,
          ts: i % 3 === 0 ? at - 1_000 + AHEAD_MS : at - 30_000,
          seq,
          receivedAt: at - 1_000,
          values: { o3: (seq * 7 + i) % 50, pm25: i },
        }),
      );
      const key = await putRawObject(store, at, lines, { gzip: seq % 2 === 0 });
      const rollupBudget = at >= T0 + 4 * HOUR ? 0 : 4;
      await updateContext(
        { Records: [{ s3: { object: { key } } }] },
        { store, layout, now: () => at, rollupBudget },
      );

      // Act + Assess: at the delivery and just before the next one.
      for (const now of [at, at + 9 * 60_000 + 59_000]) {
        const reader = createContextReader(store, layout, { now: () => now, ttlMs: 0 });
        for (const deviceId of ids) {
          expect(await reader.deviceContext(deviceId)).toEqual(
            await expectedContext(store, deviceId),
          );
        }
        expect(await reader.fleet()).toEqual(await expectedFleet(store, now));
        checks.push(now);
      }
    }
    // The lake did hold next-hour pages, and the rollup did fall behind by more than 3 hours.
    const summary = await readJson<FleetSummaryShard>(store, fleetSummaryKey(0));
    expect(summary?.through).toBe(T0 + 2 * HOUR);
    const hours = (await store.list(contextPagePrefix(0))).map(hourOfContextPageKey);
    expect(hours).toContain(T0 + 9 * HOUR);
    expect(checks).toHaveLength(108);
  });
});
