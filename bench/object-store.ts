// Benchmark of the local object store behind the real @aws-sdk/client-s3: PUT, GET and LIST
// operations per second, and a full paged listing of every key, against the store `npm start`
// runs and — when the s3rver package can be loaded (the store this one replaced; not a
// dependency any more: `npm install --no-save s3rver` to compare) — against s3rver in the same
// run. s3rver cannot page past 1,000 keys on Node 22, so the comparable LIST reads one
// 500-key prefix. Prints one line per figure, then one JSON line.
//
//   npm run bench:s3                                   # 5,000 objects, 8 requests in flight
//   npm run bench:s3 -- --objects 20000 --concurrency 16
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createLocalS3Client, LOCAL_S3_CREDENTIALS } from '../functions/common/deps.js';
import { startObjectStoreServer } from '../local/object-store-server.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '8' },
    lists: { type: 'string', default: '200' },
  },
});
const OBJECTS = Number(values.objects);
const CONCURRENCY = Number(values.concurrency);
const LISTS = Number(values.lists);
const BUCKET = 'bench';
const BODY = JSON.stringify({
  deviceId: 'sim-001',
  ts: '2026-11-25T00:00:00Z',
  o3: 40,
  pm25: 12.5,
});

interface Target {
  name: string;
  start(dir: string): Promise<{ url: string; close(): Promise<void> }>;
}

interface Figures {
  putPerSecond: number;
  getPerSecond: number;
  listPerSecond: number;
  fullListingSeconds: number | null;
  fullListingKeys: number | null;
}

const log = (message: string) => console.log(`[bench:s3] ${message}`);

/** Runs `op(i)` for i in 0..count-1, `CONCURRENCY` at a time; returns ops per second. */
const rate = async (count: number, op: (i: number) => Promise<unknown>): Promise<number> => {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return Math.round(count / ((performance.now() - started) / 1000));
};

const keyOf = (i: number) =>
  `raw/2026/11/25/${String(i % 24).padStart(2, '0')}/obj-${String(i).padStart(7, '0')}`;

const measure = async (client: S3Client): Promise<Figures> => {
  const putPerSecond = await rate(OBJECTS, (i) =>
    client.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(i), Body: BODY })),
  );
  const getPerSecond = await rate(OBJECTS, async (i) => {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: keyOf(i) }));
    await out.Body?.transformToString();
  });
  // One prefix of at most 500 keys: a listing every store can answer in one page.
  const listPerSecond = await rate(LISTS, () =>
    client.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'raw/2026/11/25/00/obj-00',
        MaxKeys: 500,
      }),
    ),
  );
  let fullListingSeconds: number | null = null;
  let fullListingKeys: number | null = null;
  try {
    const started = performance.now();
    let token: string | undefined;
    let keys = 0;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }),
      );
      keys += page.KeyCount ?? 0;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    fullListingSeconds = Number(((performance.now() - started) / 1000).toFixed(3));
    fullListingKeys = keys;
  } catch (error) {
    log(`full listing failed: ${(error as Error).name}: ${(error as Error).message}`);
  }
  return { putPerSecond, getPerSecond, listPerSecond, fullListingSeconds, fullListingKeys };
};

const localStore: Target = {
  name: 'local',
  start: (dir) => startObjectStoreServer({ directory: dir, bucket: BUCKET }),
};

/** s3rver, when it can be loaded (it is no longer a dependency). */
const s3rver = async (): Promise<Target | undefined> => {
  const name = 's3rver';
  const loaded = (await import(name).catch(() => undefined)) as
    | {
        default: new (
          options: Record<string, unknown>,
        ) => { run(): Promise<{ port: number }>; close(): Promise<void> };
      }
    | undefined;
  if (!loaded) return undefined;
  return {
    name: 's3rver',
    start: async (dir) => {
      const server = new loaded.default({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory: dir,
        configureBuckets: [{ name: BUCKET }],
      });
      const { port } = await server.run();
      return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
    },
  };
};

const main = async () => {
  const targets = [localStore, ...[await s3rver()].filter((t): t is Target => t !== undefined)];
  if (targets.length === 1) log('s3rver is not installed: absolute figures only');
  const results: Record<string, Figures> = {};
  for (const target of targets) {
    const dir = await mkdtemp(join(tmpdir(), `smogcast-bench-s3-${target.name}-`));
    const server = await target.start(dir);
    const client = createLocalS3Client(server.url, 'us-east-1', LOCAL_S3_CREDENTIALS);
    try {
      const figures = await measure(client);
      results[target.name] = figures;
      for (const [figure, value] of Object.entries(figures))
        log(`${target.name} ${figure}: ${value}`);
    } finally {
      client.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(
    JSON.stringify({ objects: OBJECTS, concurrency: CONCURRENCY, lists: LISTS, results }),
  );
};

await main();
