// Concurrent deliveries for one device must not lose each other's updates, and redeliveries
// must not count twice. The store below makes every reader see the same version before anyone
// writes: the worst interleaving, every time.
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../../core/context-shards.js';
import { hourlyMeans } from '../../../../core/device-context.js';
import type { VersionedObject } from '../../../../core/ports.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../../../../functions/common/context-reader.js';
import { updateContext } from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

/** Reads wait until `readers` of them are in flight, so concurrent writers all read stale. */
class RacingStore extends MemoryObjectStore {
  private waiting: Array<() => void> = [];
  constructor(private readers: number) {
    super('lake');
  }

  private async rendezvous(): Promise<void> {
    if (this.readers <= 1) return;
    await new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === this.readers) {
        for (const wake of this.waiting) wake();
        this.waiting = [];
        this.readers = 0; // only the first round races
      }
    });
  }

  override async get(key: string): Promise<Uint8Array | undefined> {
    if (key.startsWith('context/')) await this.rendezvous();
    return super.get(key);
  }

  override async getVersioned(key: string): Promise<VersionedObject | undefined> {
    await this.rendezvous();
    return super.getVersioned(key);
  }
}

/** The same store without compare-and-swap: what the handler did before. */
class PlainRacingStore extends RacingStore {
  override getVersioned = undefined as never;
  override putIfMatch = undefined as never;
}

const deliveries = async (store: MemoryObjectStore, count: number): Promise<string[]> => {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    keys.push(
      await putRawObject(store, T0 + HOUR, [
        rawLine({ ts: T0 + i * 60_000, seq: i, values: { o3: 10 } }),
      ]),
    );
  }
  return keys;
};

const layout = { shards: 4, historyShards: 8, contextHours: 48 };
const now = () => T0 + 2 * HOUR;

const storedContext = async (store: MemoryObjectStore): Promise<HistoryEntry> =>
  (await createContextReader(store, layout, { now }).deviceContext('sim-001')) as HistoryEntry;

const readingsCounted = async (store: MemoryObjectStore): Promise<number> =>
  (await storedContext(store)).metrics.o3?.count.reduce((a, b) => a + b, 0) ?? 0;

const deps = (store: MemoryObjectStore) => ({ store, layout, now });

/** The S3 event of one created object. */
const objectCreated = (key: string) => ({ Records: [{ s3: { object: { key } } }] });

/** One invocation per object, all at once, as concurrent S3 events would run them. */
const updateConcurrently = (store: MemoryObjectStore, keys: string[]) =>
  Promise.all(keys.map((key) => updateContext(objectCreated(key), deps(store))));

describe('updateContext under concurrent deliveries', () => {
  it('keeps every update when five deliveries for one device race', async () => {
    // Prepare
    const store = new RacingStore(5);
    const keys = await deliveries(store, 5);

    // Act
    await updateConcurrently(store, keys);

    // Assess
    expect(await readingsCounted(store)).toBe(5);
  });

  it('loses updates without compare-and-swap (the failure the test above guards against)', async () => {
    // Prepare
    const store = new PlainRacingStore(5);
    const keys = await deliveries(store, 5);

    // Act
    await updateConcurrently(store, keys);

    // Assess
    expect(await readingsCounted(store)).toBeLessThan(5);
  });

  it('counts a redelivered object and a repeated reading once', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    const [key] = await deliveries(store, 1);
    const again = await putRawObject(store, T0 + HOUR, [
      rawLine({ ts: T0, seq: 0, values: { o3: 10 } }),
      rawLine({ ts: T0 + 5 * 60_000, values: { o3: 40 } }),
      rawLine({ ts: T0 + 5 * 60_000, values: { o3: 40 } }),
    ]);

    // Act
    await updateContext(objectCreated(key as string), deps(store));
    await updateContext(objectCreated(key as string), deps(store));
    await updateContext(objectCreated(again), deps(store));

    // Assess
    expect(await readingsCounted(store)).toBe(2);
    expect(hourlyMeans(await storedContext(store), 'o3')?.values).toEqual([25]);
  });
});
