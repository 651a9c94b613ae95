// The state machine's own S3 calls (aws-sdk:s3:copyObject, backing the serving pointer up before an
// engine canary and copying it back on rollback) over the lake as the state machine's role sees
// it: answers and errors shaped as the SDK integration returns them (NoSuchKey as
// S3.NoSuchKeyException). A copy reads the source and writes the target as
// that role (s3:GetObject on the one, s3:PutObject on the other, as S3 authorises CopyObject).
import type { ObjectStore } from '../core/ports.js';
import type { PointerObjects } from './retrain-runner.js';

export class NoSuchKeyException extends Error {
  override readonly name = 'NoSuchKeyException';
}

export class NoSuchBucketException extends Error {
  override readonly name = 'NoSuchBucketException';
}

export const pointerObjects = (store: ObjectStore, bucket: string): PointerObjects => {
  const checkBucket = (request: Record<string, unknown>) => {
    if (request.Bucket !== bucket) {
      throw new NoSuchBucketException(
        `The specified bucket does not exist: ${String(request.Bucket)}`,
      );
    }
    return String(request.Key);
  };
  return {
    copyObject: async (request) => {
      const key = checkBucket(request);
      // CopySource is `<bucket>/<key>`, URL-encoded.
      const source = decodeURIComponent(String(request.CopySource ?? '')).replace(/^\//, '');
      const slash = source.indexOf('/');
      const sourceKey = checkBucket({
        Bucket: source.slice(0, slash),
        Key: source.slice(slash + 1),
      });
      const bytes = await store.get(sourceKey);
      if (!bytes) throw new NoSuchKeyException('The specified key does not exist.');
      // The pointer is always JSON (record-run writes it so); the bytes are copied as they are.
      await store.put(key, bytes, 'application/json');
      return { CopyObjectResult: { LastModified: new Date().toISOString() } };
    },
  };
};
