// Issue 12's acceptance at the object store: with 1,100 device ids in the lake, the runtime's
// /status and /devices answer 200 (their listings of context/ page past 1,000 keys), and a
// retrain whose ETL reads an hour folder of more than 1,000 raw objects succeeds. The lake is
// seeded through the real store: one Firehose-style object per extra device in the current hour
// folder, whose object-created events run update-context as deliveries do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hourFolder } from '../../core/lake.js';
import { S3ObjectStore } from '../../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../../functions/common/deps.js';
import { putRawObject, rawLine } from '../fixtures/lake/raw-lines.js';
import { API_KEY, type ServingRuntime, startServingRuntime } from './api-fixture.js';

const EXTRA_DEVICES = 1_100;
const HOUR = 3_600_000;

let serving: ServingRuntime;
let store: S3ObjectStore;
let deliveredAt = 0;

beforeAll(async () => {
  serving = await startServingRuntime({ devices: 3, backfillHours: 96, deploy: false });
  store = new S3ObjectStore(createLocalS3Client(serving.runtime.s3Url), 'smogcast-lake');
  deliveredAt = Date.now();
  const hourStart = Math.floor(deliveredAt / HOUR) * HOUR;
  const ids = Array.from(
    { length: EXTRA_DEVICES },
    (_, i) => `fleet-${String(i).padStart(4, '0')}`,
  );
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map((deviceId, j) =>
        putRawObject(store, deliveredAt, [
          rawLine({
            deviceId,
            ts: hourStart - 2 * HOUR + (i + j) * 1_000,
            lat: 50 + (i + j) / 10_000,
          }),
          rawLine({
            deviceId,
            ts: hourStart - HOUR + (i + j) * 1_000,
            lat: 50 + (i + j) / 10_000,
          }),
        ]),
      ),
    );
  }
  await serving.runtime.drain();
}, 300_000);

afterAll(() => serving?.close());

const get = (path: string) =>
  fetch(`${serving.runtime.apiUrl}${path}`, { headers: { 'x-api-key': API_KEY } });

describe('1,100 devices in the lake', () => {
  it('puts more than 1,000 raw objects in one hour folder, listed in full', async () => {
    // Act
    const hour = await store.list(`raw/${hourFolder(deliveredAt)}`);
    // Assess
    expect(hour.length).toBeGreaterThan(EXTRA_DEVICES);
    expect(new Set(hour).size).toBe(hour.length);
  });

  it('answers /status and /devices with 200, listing every device', async () => {
    // Act
    const status = await get('/status');
    const seen: string[] = [];
    const answers: number[] = [];
    let cursor: string | null = '';
    let total = 0;
    // /devices pages (at most 1,000 a page): follow nextCursor to the end, a bounded walk.
    for (let page = 0; cursor !== null && page < 10; page++) {
      const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const response = await get(`/devices?limit=1000${query}`);
      answers.push(response.status);
      const body = (await response.json()) as {
        devices: Array<{ deviceId: string }>;
        total: number;
        nextCursor: string | null;
      };
      seen.push(...body.devices.map((d) => d.deviceId));
      total = body.total;
      cursor = body.nextCursor;
    }
    // Assess
    expect(status.status).toBe(200);
    expect(answers.every((code) => code === 200)).toBe(true);
    expect(total).toBe(EXTRA_DEVICES + 3);
    expect(new Set(seen).size).toBe(EXTRA_DEVICES + 3);
  });

  it('retrains over the hour folder of more than 1,000 raw objects', async () => {
    // Act
    const record = await serving.runtime.retrain();
    // Assess
    expect(record.status, `${record.cause ?? ''} ${record.reasons?.join('; ') ?? ''}`).toBe(
      'SUCCEEDED',
    );
    expect(record.outcome).toBe('promoted');
  }, 300_000);
});
