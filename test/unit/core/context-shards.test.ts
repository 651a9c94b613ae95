import { describe, expect, it } from 'vitest';
import {
  addSeq,
  type ContextPage,
  foldPages,
  hashDeviceId,
  historyShardOf,
  historyShardsOfPageShard,
  mergeIntoPage,
  overlayPage,
  pageShardOf,
  summaryOf,
  withPages,
} from '../../../core/context-shards.js';
import { hourlyMeans } from '../../../core/device-context.js';
import type { Reading } from '../../../core/telemetry.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 25);

const reading = (ts: number, o3: number | null, extra: Partial<Reading> = {}): Reading => ({
  deviceId: 'sim-001',
  ts,
  seq: null,
  lat: 50,
  lon: 19,
  o3,
  pm25: null,
  pm10: null,
  co: null,
  so2: null,
  no2: null,
  ...extra,
});

const pageOf = (hour: number, readings: Reading[]): ContextPage =>
  mergeIntoPage(undefined, hour, readings, 0).page;

describe('shards', () => {
  it('hashes device ids stably and nests history shards in page shards', () => {
    // Prepare
    const layout = { shards: 8, historyShards: 64, contextHours: 24 };

    // Act
    const ids = Array.from({ length: 200 }, (_, i) => `dev-${i}`);

    // Assess: FNV-1a's published value for "a", and every device's history shard is one of
    // its page shard's.
    expect(hashDeviceId('a')).toBe(0xe40c292c);
    for (const id of ids) {
      expect(historyShardsOfPageShard(pageShardOf(id, layout), layout)).toContain(
        historyShardOf(id, layout),
      );
    }
    expect(new Set(ids.map((id) => pageShardOf(id, layout))).size).toBe(8);
  });
});

describe('mergeIntoPage', () => {
  it('gives the same page whichever batch is merged first, and counts a reading once', () => {
    // Prepare
    const a = [reading(T0 + 10, 2, { seq: 1 }), reading(T0 + 50, 4, { seq: 3, lat: 1, lon: 1 })];
    const b = [reading(T0 + 20, 6, { seq: 2 }), reading(T0 + 30, null, { lat: null, lon: null })];

    // Act
    const ab = mergeIntoPage(mergeIntoPage(undefined, T0, a, 1).page, T0, b, 9);
    const ba = mergeIntoPage(mergeIntoPage(undefined, T0, b, 1).page, T0, a, 9);
    const again = mergeIntoPage(ab.page, T0, [...a, ...b], 10);

    // Assess
    expect(ab.page).toEqual(ba.page);
    expect(ab.page.devices['sim-001']).toMatchObject({
      at: T0 + 50,
      lat: 1,
      lon: 1,
      posAt: T0 + 50,
      sum: { o3: 12 },
      count: { o3: 3 },
      seq: [1, 3],
      ts: [T0 + 30],
    });
    expect(again.accepted).toBe(0);
    expect(again.page.devices).toEqual(ab.page.devices);
  });

  it('refuses a reading of another hour', () => {
    expect(() => mergeIntoPage(undefined, T0, [reading(T0 + HOUR, 1)], 0)).toThrow(RangeError);
  });

  it('keeps sequence numbers as sorted, joined runs', () => {
    expect(addSeq([], 5)).toEqual([5, 1]);
    expect(addSeq([5, 1], 6)).toEqual([5, 2]);
    expect(addSeq([5, 2], 9)).toEqual([5, 2, 9, 1]);
    expect(addSeq([5, 2, 9, 1], 7)).toEqual([5, 3, 9, 1]);
    expect(addSeq([5, 3, 9, 1], 8)).toEqual([5, 5]);
    expect(addSeq([5, 5], 1)).toEqual([1, 1, 5, 5]);
  });
});

describe('withPages', () => {
  it('replaces each page hour, so folding a page twice changes nothing', () => {
    // Prepare
    const first = pageOf(T0, [reading(T0, 10)]);
    const second = pageOf(T0 + 2 * HOUR, [reading(T0 + 2 * HOUR, 30, { lat: 2, lon: 2 })]);
    const grown = mergeIntoPage(first, T0, [reading(T0 + 60_000, 20)], 5).page;

    // Act
    const once = withPages(undefined, 'sim-001', [first, second], 24);
    const twice = withPages(once, 'sim-001', [first, second], 24);
    const regrown = withPages(twice, 'sim-001', [grown], 24);

    // Assess
    expect(twice).toEqual(once);
    expect(hourlyMeans(once as never, 'o3')?.values).toEqual([10, null, 30]);
    expect(once).toMatchObject({ lat: 2, lon: 2, lastReadingAt: T0 + 2 * HOUR, startHour: T0 });
    expect(hourlyMeans(regrown as never, 'o3')?.values).toEqual([15, null, 30]);
    expect(withPages(undefined, 'nobody', [first], 24)).toBeUndefined();
  });

  it('keeps only the last contextHours hours ending at the newest reading hour', () => {
    // Prepare
    const pages = [
      pageOf(T0, [reading(T0, 1)]),
      pageOf(T0 + HOUR, [reading(T0 + HOUR, 2)]),
      pageOf(T0 + 3 * HOUR, [reading(T0 + 3 * HOUR + 59_000, 5)]),
    ];

    // Act
    const context = withPages(undefined, 'sim-001', pages, 3);

    // Assess
    expect(context?.startHour).toBe(T0 + HOUR);
    expect(hourlyMeans(context as never, 'o3')?.values).toEqual([2, null, 5]);
  });
});

describe('foldPages and summaries', () => {
  it('folds only the devices of the history shard and advances through', () => {
    // Prepare
    const layout = { shards: 1, historyShards: 2, contextHours: 24 };
    const page = pageOf(T0, [
      reading(T0, 1, { deviceId: 'sim-001' }),
      reading(T0, 2, { deviceId: 'sim-002' }),
    ]);
    const shardOf1 = historyShardOf('sim-001', layout);

    // Act
    const history = foldPages(
      { v: 1, through: 0, devices: {} },
      shardOf1,
      [page],
      T0 + HOUR,
      layout,
    );

    // Assess
    expect(history.through).toBe(T0 + HOUR);
    expect(Object.keys(history.devices)).toContain('sim-001');
    for (const id of Object.keys(history.devices)) {
      expect(historyShardOf(id, layout)).toBe(shardOf1);
    }
  });

  it('summarises the newest means and lets newer live pages win', () => {
    // Prepare
    const context = withPages(
      undefined,
      'sim-001',
      [pageOf(T0, [reading(T0, 10, { pm25: 3 })]), pageOf(T0 + HOUR, [reading(T0 + HOUR, 20)])],
      24,
    );
    if (!context) throw new Error('no context');
    const live = pageOf(T0 + 2 * HOUR, [reading(T0 + 2 * HOUR, 40, { lat: 7, lon: 8 })]);

    // Act
    const summary = summaryOf(context);
    const overlaid = overlayPage(summary, T0 + 2 * HOUR, live.devices['sim-001'] as never);

    // Assess
    expect(summary.latest).toEqual({
      o3: { hour: T0 + HOUR, value: 20 },
      pm25: { hour: T0, value: 3 },
    });
    expect(overlaid).toMatchObject({
      lat: 7,
      lon: 8,
      lastReadingAt: T0 + 2 * HOUR,
      latest: { o3: { hour: T0 + 2 * HOUR, value: 40 }, pm25: { hour: T0, value: 3 } },
    });
  });
});
