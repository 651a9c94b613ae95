// The state machine's own S3 calls (aws-sdk:s3:copyObject, backing the serving pointer up before an
// engine canary and copying it back on rollback) over the lake as the state machine's role sees
// it: answers and errors shaped as the SDK integration returns them (NoSuchKey as
// S3.NoSuchKeyException). A copy reads the source and writes the target as
// that role (s3:GetObject on the one, s3:PutObject on the other, as S3 authorises CopyObject).
// CopySourceIfMatch is held as S3 holds it: a source whose ETag differs is a 412
// PreconditionFailed, which the SDK has no exception for (S3.S3Exception, its message the cause).
import type { ObjectStore } from '../core/ports.js';
import type { PointerObjects } from './retrain-runner.js';

export class NoSuchKeyException extends Error {
  override readonly name = 'NoSuchKeyException';
}

export class NoSuchBucketException extends Error {
  override readonly name = 'NoSuchBucketException';
}

/** S3's generic service exception: what a 412 PreconditionFailed reaches a Catch as. */
export class S3Exception extends Error {
  override readonly name = 'S3Exception';
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
  ) {
    super(`${message} (Service: S3, Status Code: ${statusCode}, Error Code: ${code})`);
  }
}

/** ETags compare without their quotes (S3 accepts either form in the condition headers). */
const bare = (etag: string) => etag.trim().replace(/^"|"$/g, '');

export const pointerObjects = (store: ObjectStore, bucket: string): PointerObjects => {
  const checkBucket = (request: Record<string, unknown>) => {
    if (request.Bucket !== bucket) {
      throw new NoSuchBucketException(
        `The specified bucket does not exist: ${String(request.Bucket)}`,
      );
    }
    return String(request.Key);
  };
  const versioned = async (key: string) => {
    if (!store.getVersioned) throw new Error('CopySourceIfMatch needs a store with ETags');
    return store.getVersioned(key);
  };
  return {
    copyObject: async (request) => {
      const key = checkBucket(request);
      // CopySource is `<bucket>/<key>`, URL-encoded.
      const copySource = decodeURIComponent(String(request.CopySource ?? '')).replace(/^\//, '');
      const slash = copySource.indexOf('/');
      const sourceKey = checkBucket({
        Bucket: copySource.slice(0, slash),
        Key: copySource.slice(slash + 1),
      });
      const ifMatch = request.CopySourceIfMatch;
      const source = ifMatch === undefined ? undefined : await versioned(sourceKey);
      const bytes = source ? source.body : await store.get(sourceKey);
      if (!bytes) throw new NoSuchKeyException('The specified key does not exist.');
      if (source && bare(source.etag) !== bare(String(ifMatch))) {
        throw new S3Exception(
          'PreconditionFailed',
          412,
          'At least one of the pre-conditions you specified did not hold',
        );
      }
      // The pointer is always JSON (record-run writes it so); the bytes are copied as they are.
      await store.put(key, bytes, 'application/json');
      return { CopyObjectResult: { LastModified: new Date().toISOString() } };
    },
  };
};
