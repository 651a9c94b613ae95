// The state machine's own S3 calls (aws-sdk:s3:getObject / putObject on the serving pointer, for
// an engine canary) over the lake as the state machine's role sees it: answers and errors shaped
// as the SDK integration returns them (Body as text, NoSuchKey as S3.NoSuchKeyException).
import type { ObjectStore } from '../core/ports.js';
import { decodeText } from '../core/text.js';
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
    getObject: async (request) => {
      const key = checkBucket(request);
      const bytes = await store.get(key);
      if (!bytes) throw new NoSuchKeyException('The specified key does not exist.');
      return {
        Body: decodeText(bytes),
        ContentType: 'application/json',
        ContentLength: bytes.length,
      };
    },
    putObject: async (request) => {
      const key = checkBucket(request);
      await store.put(
        key,
        String(request.Body ?? ''),
        String(request.ContentType ?? 'application/octet-stream'),
      );
      return {};
    },
  };
};
