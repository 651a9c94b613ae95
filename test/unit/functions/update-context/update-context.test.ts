import { describe, expect, it } from 'vitest';
import { hourlyMeans } from '../../../../core/device-context.js';
import { contextHistoryKey, fleetSummaryKey } from '../../../../core/lake.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../../../../functions/common/context-reader.js';
import { makeHandler } from '../../../../functions/update-context/handler.js';
import { decodeS3Key, updateContext } from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

const layout = { shards: 2, historyShards: 4, contextHours: 48 };

const s3Event = (...keys: string[]) => ({
  Records: keys.map((key) => ({ s3: { object: { key } } })),
});

describe('updateContext', () => {
  it('merges a raw delivery into context files, skipping bad lines', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    const key = await putRawObject(store, T0, [
      rawLine({ ts: T0, values: { o3: 10 } }),
      rawLine({ ts: T0 + 60_000, values: { o3: 20 } }),
      rawLine({ deviceId: 'other', ts: T0, values: { o3: 1 } }),
      'garbage',
      rawLine({ ts: T0, values: { o3: -1 } }),
    ]);
    const now = () => T0 + HOUR;
    const handler = makeHandler({ store, layout, now });

    // Act: S3 events carry form-encoded keys.
    const result = await handler(s3Event(key.replace(/:/g, '%3A')) as never, {} as never);
    const ignored = await updateContext(s3Event('errors/ignored'), { store, layout, now });

    // Assess
    expect(result).toMatchObject({ devices: ['other', 'sim-001'], readings: 3 });
    expect(ignored).toEqual({ devices: [], readings: 0, pages: 0, rollups: 0 });
    const context = await createContextReader(store, layout, { now }).deviceContext('sim-001');
    if (!context) throw new Error('no context for sim-001');
    expect(context).toMatchObject({
      deviceId: 'sim-001',
      lat: 50.06,
      lon: 19.94,
      updatedAt: T0 + HOUR,
    });
    expect(hourlyMeans(context, 'o3')?.values).toEqual([15]);
  });

  it('reads every good reading of a batch line and skips its bad ones', async () => {
    // Prepare: one telemetry v1 batch of three readings, the middle one invalid.
    const store = new MemoryObjectStore('lake');
    const batch = JSON.stringify({
      deviceId: 'sim-001',
      readings: [
        { ts: new Date(T0).toISOString(), seq: 1, o3: 10 },
        { ts: new Date(T0 + 60_000).toISOString(), seq: 2, o3: -5 },
        { ts: new Date(T0 + 120_000).toISOString(), seq: 3, o3: 30 },
      ],
      receivedAt: T0 + 130_000,
      topic: 'smogcast/sim-001/telemetry',
    });
    const key = await putRawObject(store, T0, [batch]);
    const now = () => T0 + HOUR;

    // Act
    const result = await updateContext(s3Event(key), { store, layout, now });

    // Assess
    expect(result).toMatchObject({ devices: ['sim-001'], readings: 2 });
    const context = await createContextReader(store, layout, { now }).deviceContext('sim-001');
    expect(context && hourlyMeans(context, 'o3')?.values).toEqual([20]);
  });

  it('reads gzip deliveries (.gz keys) and plain ones of an older lake alike', async () => {
    // Prepare: the same readings, once as Firehose GZIP delivers them, once plain.
    const lines = [
      rawLine({ ts: T0, seq: 1, values: { o3: 10 } }),
      rawLine({ ts: T0 + 60_000, seq: 2, values: { o3: 30 } }),
    ];
    const now = () => T0 + HOUR;
    const gzStore = new MemoryObjectStore('lake');
    const gzKey = await putRawObject(gzStore, T0, lines, { gzip: true });
    const plainStore = new MemoryObjectStore('lake');
    const plainKey = await putRawObject(plainStore, T0, lines);

    // Act
    const fromGzip = await updateContext(s3Event(gzKey), { store: gzStore, layout, now });
    const fromPlain = await updateContext(s3Event(plainKey), { store: plainStore, layout, now });

    // Assess
    expect(gzKey.endsWith('.gz')).toBe(true);
    expect(fromGzip).toEqual(fromPlain);
    expect(fromGzip.readings).toBe(2);
    const read = (store: MemoryObjectStore) =>
      createContextReader(store, layout, { now }).deviceContext('sim-001');
    expect(await read(gzStore)).toEqual(await read(plainStore));
    expect(hourlyMeans((await read(gzStore)) as never, 'o3')?.values).toEqual([20]);
  });

  it('decodes S3 event keys', () => {
    // Act + Assess
    expect(decodeS3Key('raw/2026/a+b%2Bc%3A1')).toBe('raw/2026/a b+c:1');
  });
});

describe('updateContext rollups', () => {
  it('folds pages that stopped being live into history and the fleet summary', async () => {
    // Prepare: readings over three hours, delivered two hours after the last one.
    const store = new MemoryObjectStore('lake');
    const key = await putRawObject(store, T0 + 4 * HOUR, [
      rawLine({ ts: T0, seq: 1, values: { o3: 10 } }),
      rawLine({ ts: T0 + HOUR, seq: 2, values: { o3: 20 } }),
      rawLine({ ts: T0 + 2 * HOUR, seq: 3, values: { o3: 30 } }),
    ]);
    const now = () => T0 + 4 * HOUR;

    // Act
    const result = await updateContext(s3Event(key), { store, layout, now });

    // Assess: every page was late, so the shard was rolled up once; history holds the hours.
    expect(result).toMatchObject({ readings: 3, pages: 3, rollups: 1 });
    const histories = await store.list('context/history/');
    expect(histories.length).toBeGreaterThan(0);
    const summaries = await store.list('context/summary/');
    expect(summaries).toHaveLength(1);
    const summary = JSON.parse(new TextDecoder().decode(await store.get(summaries[0] as string)));
    expect(summary.through).toBe(T0 + 3 * HOUR);
    expect(summary.devices['sim-001']).toMatchObject({
      lastReadingAt: T0 + 2 * HOUR,
      latest: { o3: { hour: T0 + 2 * HOUR, value: 30 } },
    });
    const reader = createContextReader(store, layout, { now });
    expect(hourlyMeans((await reader.deviceContext('sim-001')) as never, 'o3')?.values).toEqual([
      10, 20, 30,
    ]);
    expect(store.objects.has(contextHistoryKey(0)) || store.objects.has(contextHistoryKey(1))).toBe(
      true,
    );
    expect(store.objects.has(fleetSummaryKey(0)) || store.objects.has(fleetSummaryKey(1))).toBe(
      true,
    );
  });

  it('refolds a late page that changed after its hour was folded', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    const now = () => T0 + 4 * HOUR;
    const first = await putRawObject(store, now(), [
      rawLine({ ts: T0, seq: 1, values: { o3: 10 } }),
    ]);
    await updateContext(s3Event(first), { store, layout, now });
    const late = await putRawObject(store, now(), [
      rawLine({ ts: T0 + 60_000, seq: 2, values: { o3: 30 } }),
    ]);

    // Act
    await updateContext(s3Event(late), { store, layout, now });

    // Assess
    const context = await createContextReader(store, layout, { now }).deviceContext('sim-001');
    expect(hourlyMeans(context as never, 'o3')?.values).toEqual([20]);
    expect(context?.metrics.o3?.count).toEqual([2]);
  });

  it('leaves the hourly advance of shards beyond the budget to later deliveries', async () => {
    // Prepare: one reading per shard in the current hour, a budget of one rollup.
    const store = new MemoryObjectStore('lake');
    const now = () => T0 + 30 * 60_000;
    const key = await putRawObject(store, now(), [
      rawLine({ deviceId: 'sim-001', ts: T0, seq: 1 }),
      rawLine({ deviceId: 'sim-002', ts: T0, seq: 1 }),
      rawLine({ deviceId: 'sim-003', ts: T0, seq: 1 }),
      rawLine({ deviceId: 'sim-004', ts: T0, seq: 1 }),
    ]);

    // Act
    const result = await updateContext(s3Event(key), { store, layout, now, rollupBudget: 1 });

    // Assess: both shards got a new page, one was rolled up; the fleet still sees everyone.
    expect(result).toMatchObject({ pages: 2, rollups: 1 });
    const fleet = await createContextReader(store, layout, { now }).fleet();
    expect(fleet.map((d) => d.deviceId)).toEqual(['sim-001', 'sim-002', 'sim-003', 'sim-004']);
  });
});
