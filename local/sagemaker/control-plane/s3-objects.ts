// s3:// URIs of the lake bucket resolved through the ObjectStore port. The stand-in serves one
// bucket; a URI naming another is the caller's mistake, reported like SageMaker would.
import { parseS3Uri } from '../../../core/lake.js';
import type { ObjectStore } from '../../../core/ports.js';
import { copyPrefixToDir } from '../../../functions/common/copy-prefix.js';
import { ValidationException } from '../errors.js';

export const keyInStore = (store: ObjectStore, uri: string): string => {
  const { bucket, key } = parseS3Uri(uri);
  if (bucket !== store.bucket) {
    throw new ValidationException(
      `${uri}: the local SageMaker reads only bucket ${store.bucket}, not ${bucket}`,
    );
  }
  return key;
};

/** Copies every object under an S3Prefix URI into `dir`, keeping the path below the prefix. */
export const downloadPrefix = (store: ObjectStore, uri: string, dir: string): Promise<number> =>
  copyPrefixToDir(store, keyInStore(store, uri), dir);
