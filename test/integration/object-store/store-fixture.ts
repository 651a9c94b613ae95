// A local object store on an ephemeral port in a temporary folder, with the real SDK clients:
// `sdk` as a default S3Client (flexible checksums on, CRC32), and events collected.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import {
  type ObjectStoreServer,
  startObjectStoreServer,
} from '../../../local/object-store-server.js';
import { teardown } from '../teardown.js';

export const BUCKET = 'smogcast-lake';
export const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };

export interface StoreFixture {
  dir: string;
  server: ObjectStoreServer;
  sdk: S3Client;
  events: S3Event[];
  /** Stops the server and starts a new one on the same folder. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const defaultClient = (endpoint: string): S3Client =>
  new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS });

export const startStore = async (): Promise<StoreFixture> => {
  const dir = await mkdtemp(join(tmpdir(), 'smogcast-store-'));
  const events: S3Event[] = [];
  const start = () =>
    startObjectStoreServer({
      directory: join(dir, 's3'),
      bucket: BUCKET,
      onObjectCreated: (event) => events.push(event),
    });
  const fixture: StoreFixture = {
    dir,
    server: await start(),
    sdk: undefined as unknown as S3Client,
    events,
    restart: async () => {
      fixture.sdk.destroy();
      await fixture.server.close();
      fixture.server = await start();
      fixture.sdk = defaultClient(fixture.server.url);
    },
    close: () =>
      teardown(
        [dir],
        () => fixture.sdk.destroy(),
        () => fixture.server.close(),
      ),
  };
  fixture.sdk = defaultClient(fixture.server.url);
  return fixture;
};

/** Puts every key (body: the key itself), `concurrency` at a time. */
export const putKeys = async (sdk: S3Client, keys: string[], concurrency = 16): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};

/** S3's listing order: UTF-8 bytes. */
export const utf8Order = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** What an S3 call failed with: the error's name (S3's Code) and HTTP status. */
export const failure = async (call: Promise<unknown>) =>
  call.then(
    () => ({ name: 'none', status: 0 }),
    (error: { name: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode ?? 0,
    }),
  );
