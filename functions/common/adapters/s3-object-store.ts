// ObjectStore over @aws-sdk/client-s3: AWS S3 in the cloud, the local S3-compatible server locally
// (deps.ts builds the client for either; this adapter does not know which it talks to).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ObjectStore, VersionedObject } from '../../../core/ports.js';

/** S3's answers to a conditional write that lost: 412, or 409 when two raced in flight. */
const isConditionLost = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'PreconditionFailed' ||
    error.name === 'ConditionalRequestConflict' ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412 ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 409);

const isMissing = (error: unknown): boolean =>
  error instanceof NoSuchKey ||
  (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'));

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: out.ETag ?? '' };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  /** S3 conditional writes (If-Match / If-None-Match: *); locally the server honours them too. */
  async putIfMatch(
    key: string,
    body: Uint8Array | string,
    ifMatch: string | null,
    contentType?: string,
  ): Promise<string | false> {
    try {
      const written = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ...(ifMatch === null ? { IfNoneMatch: '*' } : { IfMatch: ifMatch }),
        }),
      );
      // S3 answers every PutObject with the new object's ETag.
      if (!written.ETag) throw new Error(`PutObject of ${key} answered without an ETag`);
      return written.ETag;
    } catch (error) {
      // A 404 on If-Match: the object was deleted since it was read; the caller re-reads.
      if (isConditionLost(error) || (ifMatch !== null && isMissing(error))) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
