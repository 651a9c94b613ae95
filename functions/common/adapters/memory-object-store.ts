// In-memory ObjectStore: a real implementation of the port for unit tests of pure cores.
import type { ObjectStore, VersionedObject } from '../../../core/ports.js';
import { encodeText } from '../../../core/text.js';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  /** ETag per key: a fresh value on every write, as S3 gives a new ETag to new content. */
  private readonly etags = new Map<string, string>();
  private version = 0;

  constructor(readonly bucket = 'memory') {}

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.objects.get(key);
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.objects.set(key, typeof body === 'string' ? encodeText(body) : body);
    this.etags.set(key, `"${++this.version}"`);
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const body = this.objects.get(key);
    const etag = this.etags.get(key) ?? '"0"';
    return body === undefined ? undefined : { body, etag };
  }

  async putIfMatch(
    key: string,
    body: Uint8Array | string,
    ifMatch: string | null,
  ): Promise<string | false> {
    const current = this.objects.has(key) ? (this.etags.get(key) ?? '"0"') : null;
    if (current !== ifMatch) return false;
    await this.put(key, body);
    return this.etags.get(key) ?? '"0"';
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.etags.delete(key);
  }
}
