// s3:// URIs of the lake bucket resolved through the ObjectStore port. The stand-in serves one
// bucket; a URI naming another is the caller's mistake, reported like SageMaker would.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseS3Uri } from '../../../core/lake.js';
import type { ObjectStore } from '../../../core/ports.js';
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
export const downloadPrefix = async (
  store: ObjectStore,
  uri: string,
  dir: string,
): Promise<number> => {
  const prefix = keyInStore(store, uri);
  const keys = (await store.list(prefix)).filter((key) => !key.endsWith('/'));
  for (const key of keys) {
    const bytes = await store.get(key);
    if (!bytes) continue; // deleted between list and get: S3 would skip it too
    const below = key.slice(prefix.length).replace(/^\/+/, '') || (key.split('/').pop() ?? key);
    const target = join(dir, ...below.split('/').filter((part) => part !== '..' && part !== ''));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  return keys.length;
};
