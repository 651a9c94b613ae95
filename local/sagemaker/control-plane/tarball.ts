// model.tar.gz as SageMaker packs /opt/ml/model: a gzipped tar archive of regular files.
// tar-stream writes and reads the tar format (ustar, plus the pax and GNU long-name headers that
// `tar czf` and Python's tarfile write for long or non-ASCII paths); this module adds what an
// artifact needs: reproducible bytes and no path that escapes the model directory.
import { buffer } from 'node:stream/consumers';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { ModelLoadError } from '../../../forecasting/errors.js';

const BLOCK = 512;

export interface TarEntry {
  /** Relative POSIX path. */
  path: string;
  data: Uint8Array;
}

export const packTarGz = async (entries: TarEntry[]): Promise<Uint8Array> => {
  const pack = tar.pack();
  const packed = buffer(pack);
  for (const entry of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    // Fixed owner, mode and mtime 0: identical models give identical artifacts.
    pack.entry(
      {
        name: entry.path,
        size: entry.data.length,
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: new Date(0),
      },
      Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength),
    );
  }
  pack.finalize();
  return gzipSync(await packed);
};

const isSafePath = (path: string): boolean =>
  path !== '' && !path.startsWith('/') && !path.split('/').includes('..');

/** Regular files of a .tar.gz; refuses absolute or `..` paths. */
export const unpackTarGz = async (bytes: Uint8Array): Promise<TarEntry[]> => {
  let archive: Buffer;
  try {
    archive = gunzipSync(bytes);
  } catch (error) {
    throw new ModelLoadError('model artifact is not gzip data', { cause: error });
  }
  // A short last block (zero padding cut below 512 bytes) is tolerated, as it always was here;
  // tar-stream wants whole blocks, so pad it.
  const short = archive.length % BLOCK;
  const extract = tar.extract();
  extract.end(short === 0 ? archive : Buffer.concat([archive, Buffer.alloc(BLOCK - short)]));
  const entries: TarEntry[] = [];
  try {
    for await (const entry of extract) {
      // Drain every entry (directories too), or the extractor stalls on the next header.
      const data = await buffer(entry);
      const type = entry.header.type;
      if (type !== 'file' && type !== 'contiguous-file') continue;
      const path = entry.header.name.replace(/^\.\//, '');
      if (!isSafePath(path)) throw new ModelLoadError(`unsafe path in model artifact: ${path}`);
      entries.push({ path, data: new Uint8Array(data) });
    }
  } catch (error) {
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError('model artifact is a truncated or malformed tar archive', {
      cause: error,
    });
  }
  return entries;
};
