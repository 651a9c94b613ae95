import { describe, expect, it } from 'vitest';
import { parseRawMessage } from '../../../core/curated/rows.js';
import { batchPayload, createBatcher } from '../../../device/batcher.js';
import type { DeviceReading } from '../../../device/sources.js';

const reading = (deviceId: string, seq: number): DeviceReading => ({
  deviceId,
  ts: new Date(Date.UTC(2026, 10, 25, 10, seq)).toISOString(),
  seq,
  lat: 50,
  lon: 19,
  o3: 40,
  pm25: 12,
  pm10: 20,
  co: 0.4,
  so2: 3,
  no2: 30,
});
const single = (r: DeviceReading) => JSON.stringify(r);

describe('createBatcher', () => {
  it('sends every reading on its own by default, as the single-reading form', () => {
    const batcher = createBatcher(1, single);
    const r = reading('sim-001', 1);
    expect(batcher.add(r)).toEqual({ deviceId: 'sim-001', payload: single(r), readings: 1 });
    expect(batcher.flush()).toEqual([]);
  });

  it('holds a device’s readings until a batch is full, per device, and flushes the rest', () => {
    // Prepare
    const batcher = createBatcher(3, single);

    // Act
    const out = [
      batcher.add(reading('a', 1)),
      batcher.add(reading('b', 1)),
      batcher.add(reading('a', 2)),
      batcher.add(reading('a', 3)),
      batcher.add(reading('b', 2)),
    ];
    const rest = batcher.flush();

    // Assess
    expect(out.map((m) => m?.readings)).toEqual([undefined, undefined, undefined, 3, undefined]);
    expect(out[3]?.payload).toBe(
      batchPayload(
        'a',
        [1, 2, 3].map((s) => reading('a', s)),
      ),
    );
    expect(rest).toEqual([
      {
        deviceId: 'b',
        payload: batchPayload('b', [reading('b', 1), reading('b', 2)]),
        readings: 2,
      },
    ]);
    expect(batcher.flush()).toEqual([]);
  });

  it('writes batches every engine reads back into the same readings', () => {
    const readings = [1, 2, 3].map((s) => reading('sim-001', s));
    const line = JSON.stringify({
      ...JSON.parse(batchPayload('sim-001', readings)),
      receivedAt: Date.UTC(2026, 10, 25, 11),
      topic: 'smogcast/sim-001/telemetry',
    });
    const parsed = parseRawMessage(line, 0);
    expect(Array.isArray(parsed) && parsed.map((r) => r.ok && r.row.seq)).toEqual([1, 2, 3]);
  });

  it('refuses batch sizes outside 1-500', () => {
    for (const n of [0, 501, 2.5]) expect(() => createBatcher(n, single)).toThrow(RangeError);
  });
});
