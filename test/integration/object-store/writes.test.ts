// Writes through the real SDK as S3 answers them: conditional PUTs (If-Match, If-None-Match: *;
// 412, 404, and 409 when another write wins while a conditional one is in flight), flexible
// checksums (CRC32 by default, aws-chunked trailers for streams, the others on request; sent
// back on GET when asked; a mismatch is BadDigest, a malformed value InvalidRequest, and
// nothing is stored), reads with Range and conditions, deletes, copies and the events.
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  CopyObjectCommand,
  type CopyObjectCommandInput,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalS3Client } from '../../../functions/common/deps.js';
import { BUCKET, failure, type StoreFixture, startStore } from './store-fixture.js';

let store: StoreFixture;

beforeAll(async () => {
  store = await startStore();
});
afterAll(() => store?.close());

const crc32Base64 = (data: string | Buffer) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(data));
  return bytes.toString('base64');
};

const read = async (key: string) =>
  (
    await store.sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  ).Body?.transformToString();

/** A raw HTTP request to the store, the body sent in `parts`, `between` run after the first. */
const rawPut = (
  path: string,
  headers: Record<string, string>,
  parts: Buffer[],
  between: () => Promise<void> = async () => {},
) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${store.server.url}${path}`, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.write(parts[0]);
    between().then(() => {
      for (const part of parts.slice(1)) req.write(part);
      req.end();
    }, reject);
  });

describe('conditional PUT', () => {
  it('answers 412 PreconditionFailed and 404 NoSuchKey as S3 does, and writes on a match', async () => {
    // Prepare
    const first = await store.sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/a', Body: '1', IfNoneMatch: '*' }),
    );
    // Act
    const exists = await failure(
      store.sdk.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/a', Body: '2', IfNoneMatch: '*' }),
      ),
    );
    const swapped = await store.sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/a', Body: '3', IfMatch: first.ETag }),
    );
    const stale = await failure(
      store.sdk.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/a', Body: '4', IfMatch: first.ETag }),
      ),
    );
    const missing = await failure(
      store.sdk.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/none', Body: '5', IfMatch: '"abc"' }),
      ),
    );
    // Assess
    expect(exists).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(stale).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(missing).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(swapped.ETag).not.toBe(first.ETag);
    expect(await read('cas/a')).toBe('3');
  });

  it('answers 409 ConditionalRequestConflict when another write wins while it is in flight', async () => {
    // Act: a conditional create sends half its body; a plain PUT of the key completes; the rest.
    const answer = await rawPut(
      `/${BUCKET}/cas/raced`,
      { 'if-none-match': '*', 'content-length': '8', authorization: 'none' },
      [Buffer.from('slow'), Buffer.from('-one')],
      async () => {
        await store.sdk.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/raced', Body: 'fast' }),
        );
      },
    );
    // Assess: the first write to finish won; the loser is told, and changed nothing.
    expect(answer.status).toBe(409);
    expect(answer.body).toContain('<Code>ConditionalRequestConflict</Code>');
    expect(await read('cas/raced')).toBe('fast');
  });

  it('keeps If-Match compare-and-swap exact under racing writers (one winner per round)', async () => {
    // Prepare
    const client = createLocalS3Client(store.server.url);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cas/counter', Body: '0' }));
    // Act: 6 writers each add 1 five times, re-reading on a lost condition.
    const add = async () => {
      for (let done = 0; done < 5; ) {
        const current = await client.send(
          new GetObjectCommand({ Bucket: BUCKET, Key: 'cas/counter' }),
        );
        const value = Number(await current.Body?.transformToString());
        const put = await failure(
          client.send(
            new PutObjectCommand({
              Bucket: BUCKET,
              Key: 'cas/counter',
              Body: String(value + 1),
              IfMatch: current.ETag,
            }),
          ),
        );
        if (put.name === 'none') done++;
        else expect(['PreconditionFailed', 'ConditionalRequestConflict']).toContain(put.name);
      }
    };
    await Promise.all(Array.from({ length: 6 }, add));
    // Assess
    expect(await read('cas/counter')).toBe('30');
  });
});

describe('checksums', () => {
  it("verifies the SDK's default CRC32 and sends it back when asked (ChecksumMode)", async () => {
    // Act
    const put = await store.sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'sum/a', Body: 'hello' }),
    );
    const got = await store.sdk.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'sum/a', ChecksumMode: 'ENABLED' }),
    );
    const body = await got.Body?.transformToString();
    const head = await store.sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sum/a' }));
    // Assess
    expect(put.ChecksumCRC32).toBe(crc32Base64('hello'));
    expect(got.ChecksumCRC32).toBe(crc32Base64('hello'));
    expect(body).toBe('hello');
    expect(put.ETag).toBe('"5d41402abc4b2a76b9719d911017c592"');
    expect(head.ChecksumCRC32).toBeUndefined();
    expect(head.ContentLength).toBe(5);
  });

  it('decodes an aws-chunked stream upload and checks its trailing checksum', async () => {
    // Prepare: a stream body makes the SDK send aws-chunked with an x-amz-checksum-crc32 trailer.
    const data = Buffer.alloc(300_000, 'x');
    // Act
    const put = await store.sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'sum/stream',
        Body: Readable.from([data.subarray(0, 70_000), data.subarray(70_000)]),
        ContentLength: data.length,
      }),
    );
    const got = await store.sdk.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'sum/stream', ChecksumMode: 'ENABLED' }),
    );
    // Assess
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(data);
    expect(put.ChecksumCRC32).toBe(crc32Base64(data));
    expect(got.ChecksumCRC32).toBe(crc32Base64(data));
  });

  it.each(['CRC32C', 'SHA1', 'SHA256'] as const)(
    'stores and returns a %s checksum on request',
    async (algorithm) => {
      // Act
      const put = await store.sdk.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `sum/${algorithm}`,
          Body: 'payload',
          ChecksumAlgorithm: algorithm,
        }),
      );
      const got = await store.sdk.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `sum/${algorithm}`, ChecksumMode: 'ENABLED' }),
      );
      await got.Body?.transformToString();
      // Assess: the SDK validated the returned checksum against the body (it throws otherwise).
      const field = `Checksum${algorithm}` as const;
      expect(put[field]).toBeTruthy();
      expect(got[field]).toBe(put[field]);
    },
  );

  it('rejects a mismatching checksum with BadDigest and a malformed one with InvalidRequest, storing nothing', async () => {
    // Act
    const wrongCrc = await failure(
      store.sdk.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'sum/bad',
          Body: 'data',
          ChecksumCRC32: crc32Base64('other'),
        }),
      ),
    );
    const malformed = await failure(
      store.sdk.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'sum/bad',
          Body: 'data',
          ChecksumCRC32: 'not-base64!',
        }),
      ),
    );
    const wrongMd5 = await failure(
      store.sdk.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'sum/bad',
          Body: 'data',
          ContentMD5: 'XUFAKrxLKna5cZ2REBfFkg==',
        }),
      ),
    );
    const trailer = await rawPut(
      `/${BUCKET}/sum/bad`,
      {
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': '4',
        'x-amz-trailer': 'x-amz-checksum-crc32',
        'transfer-encoding': 'chunked',
      },
      [Buffer.from(`4\r\ndata\r\n0\r\nx-amz-checksum-crc32:${crc32Base64('nope')}\r\n\r\n`)],
    );
    const missing = await failure(
      store.sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sum/bad' })),
    );
    // Assess
    expect(wrongCrc).toEqual({ name: 'BadDigest', status: 400 });
    expect(malformed).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(wrongMd5).toEqual({ name: 'BadDigest', status: 400 });
    expect(trailer.status).toBe(400);
    expect(trailer.body).toContain('<Code>BadDigest</Code>');
    expect(missing).toEqual({ name: 'NoSuchKey', status: 404 });
  });
});

describe('reads, deletes, copies and events', () => {
  it('serves byte ranges (206, Content-Range) and 416 InvalidRange past the end', async () => {
    // Prepare
    await store.sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'read/r', Body: '0123456789' }),
    );
    // Act
    const middle = await store.sdk.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'read/r', Range: 'bytes=2-5' }),
    );
    const tail = await store.sdk.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'read/r', Range: 'bytes=-3' }),
    );
    const beyond = await failure(
      store.sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'read/r', Range: 'bytes=20-' })),
    );
    // Assess
    expect(await middle.Body?.transformToString()).toBe('2345');
    expect(middle.ContentRange).toBe('bytes 2-5/10');
    expect(middle.$metadata.httpStatusCode).toBe(206);
    expect(await tail.Body?.transformToString()).toBe('789');
    expect(beyond).toEqual({ name: 'InvalidRange', status: 416 });
  });

  it('answers a conditional GET with 304 and 412', async () => {
    // Prepare
    const put = await store.sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'read/c', Body: 'c' }),
    );
    // Act
    const unchanged = await failure(
      store.sdk.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: 'read/c', IfNoneMatch: put.ETag }),
      ),
    );
    const changed = await failure(
      store.sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'read/c', IfMatch: '"0000"' })),
    );
    // Assess
    expect(unchanged.status).toBe(304);
    expect(changed).toEqual({ name: 'PreconditionFailed', status: 412 });
  });

  it('deletes one object and many (DeleteObjects), a missing one counting as deleted', async () => {
    // Prepare
    for (const key of ['del/a', 'del/b', 'del/c'])
      await store.sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    // Act
    await store.sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/a' }));
    const many = await store.sdk.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: [{ Key: 'del/b' }, { Key: 'del/c' }, { Key: 'del/none' }] },
      }),
    );
    // Assess
    expect(many.Deleted?.map((d) => d.Key)).toEqual(['del/b', 'del/c', 'del/none']);
    for (const key of ['del/a', 'del/b', 'del/c']) {
      expect(
        await failure(store.sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))),
      ).toEqual({ name: 'NotFound', status: 404 });
    }
  });

  it('copies an object with its metadata, and emits S3 object-created events with encoded keys', async () => {
    // Prepare
    store.events.length = 0;
    await store.sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/dt=1/a b.json',
        Body: '{}',
        ContentType: 'application/json',
        Metadata: { origin: 'test' },
      }),
    );
    // Act
    await store.sdk.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/b.json',
        CopySource: `${BUCKET}/copy/dt=1/a b.json`,
      }),
    );
    const head = await store.sdk.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'copy/b.json' }),
    );
    // Assess
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({ origin: 'test' });
    const records = store.events.flatMap((e) => e.Records);
    expect(
      records.map((r) => [r.eventName, r.s3.bucket.name, r.s3.object.key, r.s3.object.size]),
    ).toEqual([
      ['ObjectCreated:Put', BUCKET, 'copy/dt%3D1/a+b.json', 2],
      ['ObjectCreated:Copy', BUCKET, 'copy/b.json', 2],
    ]);
    expect(records[0]?.s3.object.eTag).toBe('99914b932bd37a50b983c5e7c90ae93b');
  });

  it('copies only while the copy-source conditions hold: a failed one is 412 and writes nothing', async () => {
    // Prepare
    const put = await store.sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'cond/source.json', Body: '{"v":1}' }),
    );
    const copy = (conditions: Partial<CopyObjectCommandInput>) =>
      store.sdk.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: 'cond/target.json',
          CopySource: `${BUCKET}/cond/source.json`,
          ...conditions,
        }),
      );
    const past = new Date(Date.now() - 3_600_000);
    const future = new Date(Date.now() + 3_600_000);
    // Act
    const stale = await failure(copy({ CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' }));
    const same = await failure(copy({ CopySourceIfNoneMatch: put.ETag }));
    const unmodified = await failure(copy({ CopySourceIfUnmodifiedSince: past }));
    const notModified = await failure(copy({ CopySourceIfModifiedSince: future }));
    const targetAfterFailures = await failure(
      store.sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'cond/target.json' })),
    );
    const copied = await copy({ CopySourceIfMatch: put.ETag, CopySourceIfUnmodifiedSince: past });
    // Assess
    for (const answer of [stale, same, unmodified, notModified]) {
      expect(answer).toEqual({ name: 'PreconditionFailed', status: 412 });
    }
    expect(targetAfterFailures).toEqual({ name: 'NotFound', status: 404 });
    // A matching If-Match wins over a false If-Unmodified-Since, as S3 documents.
    expect(copied.CopyObjectResult?.ETag).toBe(put.ETag);
    expect(await read('cond/target.json')).toBe('{"v":1}');
  });

  it('answers errors as S3 does: XML with Code and Message, and a request id', async () => {
    // Act
    const res = await fetch(`${store.server.url}/${BUCKET}/nothing/here`);
    const body = await res.text();
    const bucket = await fetch(`${store.server.url}/no-such-bucket?list-type=2`);
    // Assess
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amz-request-id')).toMatch(/^[0-9A-F]{16}$/);
    expect(body).toContain('<Code>NoSuchKey</Code>');
    expect(body).toContain('<Message>The specified key does not exist.</Message>');
    expect(bucket.status).toBe(404);
    expect(await bucket.text()).toContain('<Code>NoSuchBucket</Code>');
  });
});
