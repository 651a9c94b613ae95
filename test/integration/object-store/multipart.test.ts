// Multipart uploads through the real SDK, as the aws CLI makes them above 8 MB: parts joined in
// order into one object with S3's `<md5 of part md5s>-<count>` ETag and composite checksum,
// the part rules S3 enforces (ascending order, known ETags, 5 MiB minimum but for the last),
// abort, and one object-created event on completion.
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, failure, type StoreFixture, startStore } from './store-fixture.js';

const MiB = 1024 * 1024;
let store: StoreFixture;

beforeAll(async () => {
  store = await startStore();
});
afterAll(() => store?.close());

const partOf = (size: number, fill: number) => Buffer.alloc(size, fill);

const upload = async (key: string, parts: Buffer[]) => {
  const { UploadId } = await store.sdk.send(
    new CreateMultipartUploadCommand({
      Bucket: BUCKET,
      Key: key,
      ChecksumAlgorithm: 'CRC32',
      ContentType: 'text/plain',
    }),
  );
  const uploaded = [];
  for (const [index, body] of parts.entries()) {
    const out = await store.sdk.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        PartNumber: index + 1,
        Body: body,
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    uploaded.push({ PartNumber: index + 1, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
  }
  return { UploadId: UploadId as string, uploaded };
};

describe('multipart upload', () => {
  it('joins the parts in order into one object with the multipart ETag, and emits one event', async () => {
    // Prepare
    const parts = [partOf(5 * MiB, 1), partOf(5 * MiB, 2), partOf(1234, 3)];
    const { UploadId, uploaded } = await upload('mp/big.bin', parts);
    const listed = await store.sdk.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'mp/big.bin', UploadId }),
    );
    store.events.length = 0;
    // Act
    const done = await store.sdk.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'mp/big.bin',
        UploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    const got = await store.sdk.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/big.bin', ChecksumMode: 'ENABLED' }),
    );
    const body = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    // Assess
    const md5s = createHash('md5');
    for (const part of parts) md5s.update(createHash('md5').update(part).digest());
    expect(done.ETag).toBe(`"${md5s.digest('hex')}-3"`);
    expect(got.ETag).toBe(done.ETag);
    expect(body.equals(Buffer.concat(parts))).toBe(true);
    expect(got.ContentType).toBe('text/plain');
    expect(got.ChecksumCRC32).toMatch(/-3$/);
    expect(listed.Parts?.map((p) => p.Size)).toEqual([5 * MiB, 5 * MiB, 1234]);
    expect(store.events.map((e) => e.Records[0]?.eventName)).toEqual([
      'ObjectCreated:CompleteMultipartUpload',
    ]);
  });

  it('refuses parts out of order, unknown ETags and a small part before the last, as S3 does', async () => {
    // Prepare
    const { UploadId, uploaded } = await upload('mp/rules.bin', [partOf(1024, 1), partOf(1024, 2)]);
    const complete = (Parts: typeof uploaded) =>
      failure(
        store.sdk.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: 'mp/rules.bin',
            UploadId,
            MultipartUpload: { Parts },
          }),
        ),
      );
    // Act
    const order = await complete([...uploaded].reverse());
    const unknown = await complete([
      { PartNumber: 1, ETag: '"00000000000000000000000000000000"', ChecksumCRC32: undefined },
    ]);
    const small = await complete(uploaded);
    const object = await failure(
      store.sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'mp/rules.bin' })),
    );
    // Assess
    expect(order).toEqual({ name: 'InvalidPartOrder', status: 400 });
    expect(unknown).toEqual({ name: 'InvalidPart', status: 400 });
    expect(small).toEqual({ name: 'EntityTooSmall', status: 400 });
    expect(object).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('aborts an upload: it is no longer listed and its id is unknown', async () => {
    // Prepare
    const { UploadId } = await upload('mp/aborted.bin', [partOf(10, 1)]);
    const before = await store.sdk.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    // Act
    await store.sdk.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/aborted.bin', UploadId }),
    );
    const after = await store.sdk.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    const again = await failure(
      store.sdk.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: 'mp/aborted.bin',
          UploadId,
          PartNumber: 2,
          Body: 'x',
        }),
      ),
    );
    // Assess
    expect(before.Uploads?.map((u) => u.UploadId)).toContain(UploadId);
    expect(after.Uploads?.map((u) => u.UploadId) ?? []).not.toContain(UploadId);
    expect(again).toEqual({ name: 'NoSuchUpload', status: 404 });
  });
});
