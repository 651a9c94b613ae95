// The local S3 stand-in honours conditional writes as S3 does, so update-context's
// compare-and-swap holds locally: racing deliveries against the real server lose nothing.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContextPage } from '../../core/context-shards.js';
import { contextPageKey } from '../../core/lake.js';
import { decodeText } from '../../core/text.js';
import { S3ObjectStore } from '../../functions/common/adapters/s3-object-store.js';
import { createContextReader } from '../../functions/common/context-reader.js';
import { createLocalS3Client } from '../../functions/common/deps.js';
import { updateContext } from '../../functions/update-context/update-context.js';
import { type ObjectStoreServer, startObjectStoreServer } from '../../local/object-store-server.js';
import { HOUR, putRawObject, rawLine, T0 } from '../fixtures/lake/raw-lines.js';
import { teardown } from './teardown.js';

// One page shard: every reading of the test lands in context/pages/0000/.
const layout = { shards: 1, historyShards: 2, contextHours: 48 };
const now = () => T0 + 2 * HOUR;

describe('local object store: conditional PUT', () => {
  let dir: string;
  let server: ObjectStoreServer;
  let store: S3ObjectStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smogcast-cas-'));
    server = await startObjectStoreServer({ directory: dir, bucket: 'lake', port: 0 });
    store = new S3ObjectStore(createLocalS3Client(server.url), 'lake');
  });

  afterAll(() => teardown([dir], () => server?.close()));

  it('writes only while the ETag still matches, and If-None-Match: * only when absent', async () => {
    // Act
    const created = await store.putIfMatch('cas/a.json', '1', null);
    const again = await store.putIfMatch('cas/a.json', '2', null);
    const first = await store.getVersioned('cas/a.json');
    const swapped = await store.putIfMatch('cas/a.json', '3', first?.etag ?? '');
    const stale = await store.putIfMatch('cas/a.json', '4', first?.etag ?? '');
    const missing = await store.putIfMatch('cas/none.json', '5', '"abc"');

    // Assess
    expect([again, stale, missing]).toEqual([false, false, false]);
    // A write that wins answers the new object's ETag, the one a read then finds.
    expect(created).toBe(first?.etag);
    expect(swapped).toBe((await store.getVersioned('cas/a.json'))?.etag);
    expect(decodeText((await store.get('cas/a.json')) as Uint8Array)).toBe('3');
  });

  it('keeps every update when eight deliveries for one device race', async () => {
    // Prepare
    const keys: string[] = [];
    for (let i = 0; i < 8; i++) {
      keys.push(await putRawObject(store, T0 + HOUR, [rawLine({ ts: T0 + i * 60_000, seq: i })]));
    }

    // Act
    await Promise.all(
      keys.map((key) =>
        updateContext(
          { Records: [{ s3: { object: { key } } }] },
          { store, layout, now, maxAttempts: 50 },
        ),
      ),
    );

    // Assess
    const context = await createContextReader(store, layout, { now }).deviceContext('sim-001');
    expect(context?.metrics.o3?.count.reduce((a, b) => a + b, 0)).toBe(8);
    const page = JSON.parse(
      decodeText((await store.get(contextPageKey(0, T0))) as Uint8Array),
    ) as ContextPage;
    expect(page.devices['sim-001']?.seq).toEqual([0, 8]);
  });
});
