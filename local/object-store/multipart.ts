// Multipart uploads as S3 keeps them: parts staged under uploads/<uploadId>/ until the upload is
// completed (the parts, in the order the client lists them, become one object whose ETag is
// the MD5 of the parts' MD5s, `-<count>`) or aborted.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { BucketStore, ObjectRecord, WriteCondition } from './bucket-store.js';
import { checkCondition } from './bucket-store.js';
import { type ChecksumAlgorithm, compositeChecksum } from './checksums.js';
import { receivePayload } from './payload.js';
import { invalidArgument, noSuchUpload, S3Error } from './s3-error.js';

export interface Upload {
  uploadId: string;
  key: string;
  initiated: string;
  contentType: string;
  headers: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface Part {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: string;
  checksum?: string;
}

/** S3's minimum size of every part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

export class MultipartUploads {
  constructor(private readonly store: BucketStore) {}

  private folder(uploadId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(uploadId)) throw noSuchUpload(uploadId);
    return join(this.store.directory, 'uploads', uploadId);
  }

  async create(upload: Omit<Upload, 'uploadId' | 'initiated'>): Promise<Upload> {
    const created: Upload = {
      ...upload,
      uploadId: randomUUID(),
      initiated: new Date().toISOString(),
    };
    await mkdir(this.folder(created.uploadId), { recursive: true });
    await writeFile(join(this.folder(created.uploadId), 'upload.json'), JSON.stringify(created));
    return created;
  }

  async get(uploadId: string, key: string): Promise<Upload> {
    const upload = await readFile(join(this.folder(uploadId), 'upload.json'), 'utf8').then(
      (text) => JSON.parse(text) as Upload,
      () => undefined,
    );
    if (!upload || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
  }

  async list(): Promise<Upload[]> {
    const uploads: Upload[] = [];
    for (const id of await readdir(join(this.store.directory, 'uploads'))) {
      const text = await readFile(join(this.folder(id), 'upload.json'), 'utf8').catch(() => '');
      if (text) uploads.push(JSON.parse(text) as Upload);
    }
    return uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async putPart(upload: Upload, partNumber: number, request: IncomingMessage): Promise<Part> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
      throw invalidArgument(
        'Part number must be an integer between 1 and 10000, inclusive',
        'partNumber',
        String(partNumber),
      );
    }
    const folder = this.folder(upload.uploadId);
    const staged = join(folder, `${partNumber}.${randomUUID()}.tmp`);
    const payload = await receivePayload(request, staged, upload.checksumAlgorithm);
    const part: Part = {
      partNumber,
      etag: `"${payload.md5Hex}"`,
      size: payload.size,
      lastModified: new Date().toISOString(),
      checksum: payload.checksum?.value,
    };
    // The part's bytes, then its record: a part is there once its record is.
    await rename(staged, join(folder, `${partNumber}.part`));
    await writeFile(join(folder, `${partNumber}.json`), JSON.stringify(part));
    return part;
  }

  async parts(upload: Upload): Promise<Part[]> {
    const folder = this.folder(upload.uploadId);
    const parts: Part[] = [];
    for (const file of await readdir(folder)) {
      if (!/^\d+\.json$/.test(file)) continue;
      parts.push(JSON.parse(await readFile(join(folder, file), 'utf8')) as Part);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Joins the listed parts into the object; `condition` as for a PUT (If-Match, If-None-Match). */
  async complete(
    upload: Upload,
    listed: Array<{ partNumber: number; etag: string }>,
    condition: WriteCondition,
  ): Promise<ObjectRecord> {
    if (listed.length === 0) {
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
      );
    }
    checkCondition(upload.key, condition, this.store.get(upload.key));
    const stored = new Map((await this.parts(upload)).map((p) => [p.partNumber, p]));
    const chosen: Part[] = [];
    // The order first, as S3 checks it before it looks at the parts.
    for (const [index, item] of listed.entries()) {
      const previous = listed[index - 1];
      if (previous && item.partNumber <= previous.partNumber) {
        throw new S3Error(
          400,
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        );
      }
    }
    for (const [index, item] of listed.entries()) {
      const part = stored.get(item.partNumber);
      if (!part || part.etag !== normaliseEtag(item.etag)) {
        throw new S3Error(
          400,
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        );
      }
      if (index < listed.length - 1 && part.size < MIN_PART_BYTES) {
        throw new S3Error(
          400,
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size.',
        );
      }
      chosen.push(part);
    }
    const folder = this.folder(upload.uploadId);
    const staged = this.store.stagingPath();
    const target = await open(staged, 'w');
    const md5s = createHash('md5');
    let size = 0;
    try {
      for (const part of chosen) {
        for await (const chunk of createReadStream(join(folder, `${part.partNumber}.part`))) {
          await target.write(chunk as Buffer);
        }
        md5s.update(Buffer.from(part.etag.slice(1, -1), 'hex'));
        size += part.size;
      }
    } finally {
      await target.close();
    }
    const algorithm = upload.checksumAlgorithm;
    const checksums = chosen.map((p) => p.checksum);
    const record = await this.store.commit(
      staged,
      {
        key: upload.key,
        etag: `"${md5s.digest('hex')}-${chosen.length}"`,
        size,
        contentType: upload.contentType,
        headers: upload.headers,
        checksum:
          algorithm && checksums.every((c) => c !== undefined)
            ? {
                algorithm,
                value: compositeChecksum(algorithm, checksums as string[]),
                type: 'COMPOSITE',
              }
            : undefined,
      },
      condition,
    );
    await rm(folder, { recursive: true, force: true });
    return record;
  }

  async abort(upload: Upload): Promise<void> {
    await rm(this.folder(upload.uploadId), { recursive: true, force: true });
  }
}

/** Clients send part ETags quoted or not. */
const normaliseEtag = (etag: string): string =>
  `"${etag
    .trim()
    .replace(/^"|"$/g, '')
    .replace(/^&quot;|&quot;$/g, '')}"`;
