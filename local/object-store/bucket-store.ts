// One bucket on disk. Each object is a data file plus a small JSON record naming it; a write
// stages its data under tmp/, then commits by renaming the data into objects/ and the record
// into index/ (the record's rename is the commit point, so a reader sees the old object or the
// new one, never a part). The records are held in memory, with the keys in listing order.
//
// Layout under the bucket's folder:
//   index/<xx>/<sha256(key)>.json   the object's record (key, ETag, size, metadata, data file)
//   objects/<xx>/<id>               the object's bytes
//   tmp/                            staged writes (cleared at start)
//   uploads/<uploadId>/             multipart uploads in progress (see multipart.ts)
import { createHash, randomUUID } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChecksumAlgorithm } from './checksums.js';
import { SortedKeys } from './key-order.js';
import { conditionalRequestConflict, noSuchKey, preconditionFailed } from './s3-error.js';

export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

export interface ObjectRecord {
  key: string;
  /** Quoted, as S3 sends it: `"<md5 hex>"`, or `"<hex>-<parts>"` for a multipart object. */
  etag: string;
  size: number;
  lastModified: string;
  contentType: string;
  /** Content-Encoding, Cache-Control, … and x-amz-meta-* headers, sent back on GET/HEAD. */
  headers: Record<string, string>;
  checksum?: ObjectChecksum;
  /** The data file, relative to the bucket's folder. */
  dataFile: string;
}

export type NewObject = Omit<ObjectRecord, 'dataFile' | 'lastModified'>;

/** A write's preconditions: If-Match / If-None-Match: *, and the ETag they were checked against. */
export interface WriteCondition {
  ifMatch?: string;
  ifNoneMatch?: '*';
}

const shard = (name: string) => name.slice(0, 2);
const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');

/** Throws the error S3 answers when `condition` does not hold for `current`. */
export const checkCondition = (
  key: string,
  condition: WriteCondition,
  current: ObjectRecord | undefined,
): void => {
  if (condition.ifNoneMatch === '*' && current) throw preconditionFailed('If-None-Match');
  if (condition.ifMatch !== undefined) {
    if (!current) throw noSuchKey(key);
    if (condition.ifMatch !== '*' && condition.ifMatch !== current.etag) {
      throw preconditionFailed('If-Match');
    }
  }
};

export class BucketStore {
  readonly keys = new SortedKeys();
  private readonly records = new Map<string, ObjectRecord>();
  private readonly locks = new Map<string, Promise<void>>();
  /** Shard folders known to exist (a write creates its shard once, not on every commit). */
  private readonly folders = new Set<string>();

  private constructor(
    readonly name: string,
    readonly directory: string,
  ) {}

  /** Opens (or creates) the bucket under `directory`, loading its records. */
  static async open(name: string, directory: string): Promise<BucketStore> {
    const store = new BucketStore(name, directory);
    await rm(join(directory, 'tmp'), { recursive: true, force: true });
    for (const sub of ['index', 'objects', 'tmp', 'uploads']) {
      await mkdir(join(directory, sub), { recursive: true });
    }
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const referenced = new Set<string>();
    for (const group of await readdir(join(this.directory, 'index'))) {
      for (const file of await readdir(join(this.directory, 'index', group))) {
        if (!file.endsWith('.json')) continue;
        const record = JSON.parse(
          await readFile(join(this.directory, 'index', group, file), 'utf8'),
        ) as ObjectRecord;
        this.records.set(record.key, record);
        referenced.add(record.dataFile);
      }
    }
    this.keys.reset(this.records.keys());
    // Data a write staged into objects/ but never committed (the process stopped in between).
    for (const group of await readdir(join(this.directory, 'objects'))) {
      for (const file of await readdir(join(this.directory, 'objects', group))) {
        const dataFile = join('objects', group, file);
        if (!referenced.has(dataFile)) await rm(join(this.directory, dataFile), { force: true });
      }
    }
  }

  get(key: string): ObjectRecord | undefined {
    return this.records.get(key);
  }

  /** A fresh path under tmp/ to stage a write in. */
  stagingPath(): string {
    return join(this.directory, 'tmp', randomUUID());
  }

  /**
   * Makes the staged file `staged` the object `object.key`, if `condition` still holds (else
   * 409 ConditionalRequestConflict: another write or a delete won while this one was in flight).
   */
  async commit(staged: string, object: NewObject, condition: WriteCondition = {}) {
    return this.withLock(object.key, async () => {
      const previous = this.records.get(object.key);
      try {
        checkCondition(object.key, condition, previous);
      } catch {
        await rm(staged, { force: true });
        throw conditionalRequestConflict();
      }
      const id = randomUUID();
      const dataFile = join('objects', shard(id), id);
      await this.folder(join(this.directory, 'objects', shard(id)));
      await rename(staged, join(this.directory, dataFile));
      const record: ObjectRecord = { ...object, lastModified: new Date().toISOString(), dataFile };
      await this.writeRecord(record);
      this.records.set(object.key, record);
      this.keys.add(object.key);
      if (previous) await rm(join(this.directory, previous.dataFile), { force: true });
      return record;
    });
  }

  /** Deletes the object (nothing when it does not exist, as S3 answers 204 either way). */
  async delete(key: string): Promise<void> {
    await this.withLock(key, async () => {
      const previous = this.records.get(key);
      if (!previous) return;
      await rm(this.recordPath(key), { force: true });
      this.records.delete(key);
      this.keys.delete(key);
      await rm(join(this.directory, previous.dataFile), { force: true });
    });
  }

  /**
   * A stream of the object's bytes `start`..`end` (inclusive), opened before it is returned so an
   * overwrite committed meanwhile cannot pull the file away; undefined when the object is gone.
   */
  async read(
    key: string,
    range?: { start: number; end: number },
  ): Promise<{ record: ObjectRecord; stream: ReadStream } | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = this.records.get(key);
      if (!record) return undefined;
      try {
        const handle = await open(join(this.directory, record.dataFile), 'r');
        return {
          record,
          stream: handle.createReadStream({ start: range?.start, end: range?.end }),
        };
      } catch (error) {
        // Overwritten between the look-up and the open: read the new object.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(`object ${key} kept changing while it was being read`);
  }

  private async folder(path: string): Promise<void> {
    if (this.folders.has(path)) return;
    await mkdir(path, { recursive: true });
    this.folders.add(path);
  }

  private recordPath(key: string): string {
    const hash = keyHash(key);
    return join(this.directory, 'index', shard(hash), `${hash}.json`);
  }

  private async writeRecord(record: ObjectRecord): Promise<void> {
    const target = this.recordPath(record.key);
    await this.folder(join(target, '..'));
    const staged = this.stagingPath();
    await writeFile(staged, JSON.stringify(record));
    await rename(staged, target);
  }

  /** Commits, deletes and condition checks on one key run one at a time. */
  private async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    this.locks.set(key, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(key) === chained) this.locks.delete(key);
    }
  }
}
