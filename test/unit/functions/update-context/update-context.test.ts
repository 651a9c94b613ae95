import { describe, expect, it } from 'vitest';
import { type DeviceContext, hourlyMeans } from '../../../../core/device-context.js';
import type { Reading } from '../../../../core/telemetry.js';
import { decodeText } from '../../../../core/text.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { makeHandler } from '../../../../functions/update-context/handler.js';
import {
  decodeS3Key,
  mergeReadings,
  updateContext,
} from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

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

const s3Event = (...keys: string[]) => ({
  Records: keys.map((key) => ({ s3: { object: { key } } })),
});

describe('mergeReadings', () => {
  it('gives the same context whichever batch is merged first', () => {
    // Prepare
    const a = [reading(T0 + 10, 2), reading(T0 + 2 * HOUR, 4, { lat: 1, lon: 1 })];
    const b = [
      reading(T0 + 20, 6),
      reading(T0 + 5 * HOUR, 8, { lat: 2, lon: 2 }),
      reading(T0 + 3 * HOUR, null),
    ];

    // Act
    const ab = mergeReadings(mergeReadings(undefined, a, 24, 1), b, 24, 9);
    const ba = mergeReadings(mergeReadings(undefined, b, 24, 1), a, 24, 9);

    // Assess
    expect(ab).toEqual(ba);
    expect(ab).toMatchObject({
      lat: 2,
      lon: 2,
      lastReadingAt: T0 + 5 * HOUR,
      startHour: T0,
      updatedAt: 9,
    });
    expect(hourlyMeans(ab, 'o3')?.values).toEqual([4, null, 4, null, null, 8]);
    expect(ab.metrics.pm25).toBeUndefined();
  });

  it('keeps only the last contextHours hours ending at the newest reading hour', () => {
    // Prepare
    const old = mergeReadings(undefined, [reading(T0, 1), reading(T0 + HOUR, 2)], 3, 0);

    // Act
    const trimmed = mergeReadings(old, [reading(T0 + 3 * HOUR + 59_000, 5)], 3, 0);
    const stale = mergeReadings(trimmed, [reading(T0 - 10 * HOUR, 100)], 3, 0);

    // Assess
    expect(trimmed.startHour).toBe(T0 + HOUR);
    expect(hourlyMeans(trimmed, 'o3')?.values).toEqual([2, null, 5]);
    expect(stale.metrics).toEqual(trimmed.metrics);
    expect(stale.lastReadingAt).toBe(T0 + 3 * HOUR + 59_000);
  });
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
    const handler = makeHandler({ store, contextHours: 48, now: () => T0 + HOUR });

    // Act: S3 events carry form-encoded keys.
    const result = await handler(s3Event(key.replace(/:/g, '%3A')) as never, {} as never);
    await updateContext(s3Event('errors/ignored'), { store, contextHours: 48, now: () => 0 });

    // Assess
    expect(result).toEqual({ devices: ['other', 'sim-001'], readings: 3 });
    const context = JSON.parse(
      decodeText((await store.get('context/sim-001.json')) as Uint8Array),
    ) as DeviceContext;
    expect(context).toMatchObject({
      deviceId: 'sim-001',
      lat: 50.06,
      lon: 19.94,
      updatedAt: T0 + HOUR,
    });
    expect(hourlyMeans(context, 'o3')?.values).toEqual([15]);
  });

  it('decodes S3 event keys', () => {
    // Act + Assess
    expect(decodeS3Key('raw/2026/a+b%2Bc%3A1')).toBe('raw/2026/a b+c:1');
  });
});
