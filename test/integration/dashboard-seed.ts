// Seeds a runtime's lake with many devices the way Firehose delivers them: `perObject` devices'
// lines per raw object, in four towns (a deterministic spiral around each, no two on one spot).
// The objects' created events run update-context, as deliveries do; drain() waits for them.
import { S3ObjectStore } from '../../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../../functions/common/deps.js';
import { putRawObject, rawLine } from '../fixtures/lake/raw-lines.js';
import type { ServingRuntime } from './api-fixture.js';

export const TOWNS = [
  [50.06, 19.94],
  [52.23, 21.01],
  [51.11, 17.03],
  [54.35, 18.65],
] as const;

export const seedFleet = async (
  serving: ServingRuntime,
  count: number,
  perObject = 500,
  /** The runtime's clock: the readings fall in the hour before its present (seconds to an hour ago). */
  now = Date.now(),
) => {
  const store = new S3ObjectStore(createLocalS3Client(serving.runtime.s3Url), 'smogcast-lake');
  for (let first = 0; first < count; first += perObject) {
    const lines: string[] = [];
    for (let i = first; i < Math.min(count, first + perObject); i++) {
      const [lat, lon] = TOWNS[i % TOWNS.length] ?? TOWNS[0];
      const r = 0.002 * Math.sqrt(i);
      lines.push(
        rawLine({
          deviceId: `fleet-${String(i).padStart(5, '0')}`,
          // Spread over the hour: a page of devices shows readings from seconds to an hour old.
          ts: now - (1 + ((i * 97) % 3_599)) * 1_000,
          lat: lat + r * Math.sin(i),
          lon: lon + r * Math.cos(i) * 1.5,
          values: { pm25: 5 + (i % 60) },
        }),
      );
    }
    await putRawObject(store, now, lines);
  }
  await serving.runtime.drain();
};
