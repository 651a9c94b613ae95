// Every object under a key prefix copied into a directory, keeping the path below the prefix:
// how a training channel reaches the container layout (SageMaker's File mode; the engine's
// Lambda step stages its channels the same way).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ObjectStore } from '../../core/ports.js';

/** Copies the objects under `prefix` into `dir`; returns how many keys were listed. */
export const copyPrefixToDir = async (
  store: ObjectStore,
  prefix: string,
  dir: string,
): Promise<number> => {
  const keys = (await store.list(prefix)).filter((key) => !key.endsWith('/'));
  await mkdir(dir, { recursive: true });
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
