// A file-system ObjectStore for the benchmarks: the lake on local disk, no server in between.
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ObjectStore } from '../core/ports.js';

/** A file-system ObjectStore: the bench's lake, as DuckDB sees it too (no network in between). */
export class FsObjectStore implements ObjectStore {
  constructor(
    private readonly root: string,
    readonly bucket = 'bench',
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.root, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename, as S3 makes a PUT visible all at once.
    await writeFile(`${path}.tmp`, body);
    await rename(`${path}.tmp`, path);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (!entry.name.endsWith('.tmp')) {
          const key = relative(this.root, path).split(sep).join('/');
          if (key.startsWith(prefix)) keys.push(key);
        }
      }
    };
    // Start at the deepest folder the prefix names.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    await walk(join(this.root, folder));
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    await unlink(join(this.root, key)).catch(() => undefined);
  }
}
