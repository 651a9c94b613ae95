// model.tar.gz in and out of the lake: packed from a training job's model/ directory, unpacked
// into the work directory where the model server loads it.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ObjectStore } from '../../../core/ports.js';
import { type LoadedModel, loadModel } from '../../../forecasting/container/model-server.js';
import { ModelLoadError } from '../../../forecasting/errors.js';
import { type FaultInjection, readFaultInjection } from './fault-injection.js';
import { keyInStore } from './s3-objects.js';
import { packTarGz, type TarEntry, unpackTarGz } from './tarball.js';

export const packModelDir = async (modelDir: string): Promise<Uint8Array> => {
  const entries: TarEntry[] = [];
  for (const entry of await readdir(modelDir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    entries.push({
      path: relative(modelDir, path).split('\\').join('/'),
      data: await readFile(path),
    });
  }
  return packTarGz(entries);
};

const exists = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** A model as the endpoint hosts it: the loaded model plus any test fault it carries. */
export interface HostedModel {
  loaded: LoadedModel;
  fault?: FaultInjection;
}

/**
 * Downloads and unpacks a model artifact into `dir` (once: artifacts of a model name never
 * change), then loads it. Unpacks beside and renames, so a crash leaves no half model.
 */
export const fetchModel = async (
  store: ObjectStore,
  modelDataUrl: string,
  dir: string,
): Promise<HostedModel> => {
  if (!(await exists(dir))) {
    const bytes = await store.get(keyInStore(store, modelDataUrl));
    if (!bytes) throw new ModelLoadError(`model artifact not found: ${modelDataUrl}`);
    const staging = `${dir}.staging`;
    await rm(staging, { recursive: true, force: true });
    for (const entry of await unpackTarGz(bytes)) {
      const target = join(staging, ...entry.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, entry.data);
    }
    await mkdir(staging, { recursive: true });
    await rename(staging, dir);
  }
  const loaded = await loadModel(dir);
  const fault = await readFaultInjection(dir);
  return fault ? { loaded, fault } : { loaded };
};
