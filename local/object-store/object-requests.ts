// Requests on one object: PutObject, CopyObject, GetObject (with Range and conditions),
// HeadObject, DeleteObject and the multipart upload calls.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { BucketStore, NewObject, ObjectRecord, WriteCondition } from './bucket-store.js';
import { checkCondition } from './bucket-store.js';
import { checksumHeader, parseChecksumAlgorithm } from './checksums.js';
import type { CreatedBy } from './events.js';
import type { MultipartUploads } from './multipart.js';
import { receivePayload } from './payload.js';
import {
  invalidRequest,
  noSuchKey,
  notImplemented,
  preconditionFailed,
  S3Error,
} from './s3-error.js';
import { httpDate, type S3Request, type S3Response } from './s3-request.js';
import { element, elementsOf, xmlDocument } from './s3-xml.js';

/** Headers S3 stores with an object and sends back on GET and HEAD. */
const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];

export interface ObjectContext {
  store: BucketStore;
  uploads: MultipartUploads;
  /** Called once an object is committed. */
  created(record: ObjectRecord, by: CreatedBy): void;
}

const storedHeaders = (request: S3Request): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.raw.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (name.startsWith('x-amz-meta-')) headers[name] = text;
    else if (STORED_HEADERS.includes(name)) {
      // aws-chunked is the transfer's encoding, not the object's.
      const kept =
        name === 'content-encoding'
          ? text
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s && s !== 'aws-chunked')
              .join(',')
          : text;
      if (kept) headers[name] = kept;
    }
  }
  return headers;
};

/** If-Match / If-None-Match of a write; S3 supports only `*` for If-None-Match. */
const writeCondition = (request: S3Request): WriteCondition => {
  const ifMatch = request.header('if-match');
  const ifNoneMatch = request.header('if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch !== '*')
    throw notImplemented('If-None-Match other than *');
  return {
    ...(ifMatch !== undefined ? { ifMatch: ifMatch.trim() } : {}),
    ...(ifNoneMatch === '*' ? { ifNoneMatch: '*' as const } : {}),
  };
};

const checksumHeaders = (
  record: ObjectRecord | { checksum?: { algorithm: string; value: string } },
): Record<string, string> => {
  const checksum = record.checksum;
  if (!checksum) return {};
  const algorithm = parseChecksumAlgorithm(checksum.algorithm);
  return algorithm ? { [checksumHeader(algorithm)]: checksum.value } : {};
};

const objectHeaders = (record: ObjectRecord): Record<string, string> => ({
  etag: record.etag,
  'last-modified': httpDate(record.lastModified),
  'content-type': record.contentType,
  'accept-ranges': 'bytes',
  ...record.headers,
});

export const putObject = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  const condition = writeCondition(request);
  // Checked before the body is read (412 at once); checked again at the commit, where a write
  // that won meanwhile makes this one a 409.
  checkCondition(request.key, condition, context.store.get(request.key));
  const staged = context.store.stagingPath();
  const payload = await receivePayload(request.raw, staged);
  const object: NewObject = {
    key: request.key,
    etag: `"${payload.md5Hex}"`,
    size: payload.size,
    contentType: request.header('content-type') ?? 'binary/octet-stream',
    headers: storedHeaders(request),
    checksum: payload.checksum ? { ...payload.checksum, type: 'FULL_OBJECT' } : undefined,
  };
  const record = await context.store.commit(staged, object, condition);
  context.created(record, 'Put');
  return { status: 200, headers: { etag: record.etag, ...checksumHeaders(record) } };
};

/**
 * CopyObject's conditions on its source (x-amz-copy-source-if-*), checked against the object
 * being copied: a failed one is 412 PreconditionFailed. As S3 documents, a matching If-Match
 * overrides a false If-Unmodified-Since, and a false If-None-Match with a true
 * If-Modified-Since is still a 412.
 */
export const checkCopySourceCondition = (request: S3Request, record: ObjectRecord): void => {
  const header = (name: string) => request.header(`x-amz-copy-source-${name}`);
  const ifMatch = header('if-match');
  const ifNoneMatch = header('if-none-match');
  const matches = (list: string) =>
    list.split(',').some((tag) => {
      const t = tag.trim();
      return t === '*' || t === record.etag || `"${t}"` === record.etag;
    });
  const modified = Date.parse(record.lastModified);
  const since = (name: string) => {
    const value = header(name);
    return value === undefined ? undefined : Date.parse(value);
  };
  if (ifMatch !== undefined && !matches(ifMatch)) {
    throw preconditionFailed('x-amz-copy-source-If-Match');
  }
  const unmodifiedSince = since('if-unmodified-since');
  if (ifMatch === undefined && unmodifiedSince !== undefined && modified > unmodifiedSince + 999) {
    throw preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) {
    throw preconditionFailed('x-amz-copy-source-If-None-Match');
  }
  const modifiedSince = since('if-modified-since');
  if (ifNoneMatch === undefined && modifiedSince !== undefined && modified <= modifiedSince + 999) {
    throw preconditionFailed('x-amz-copy-source-If-Modified-Since');
  }
};

export const copyObject = async (
  request: S3Request,
  context: ObjectContext,
  source: BucketStore,
  sourceKey: string,
): Promise<S3Response> => {
  const condition = writeCondition(request);
  checkCondition(request.key, condition, context.store.get(request.key));
  const found = await source.read(sourceKey);
  if (!found) throw noSuchKey(sourceKey);
  try {
    checkCopySourceCondition(request, found.record);
  } catch (error) {
    found.stream.destroy();
    throw error;
  }
  const staged = context.store.stagingPath();
  await pipeline(found.stream, createWriteStream(staged));
  const replace = request.header('x-amz-metadata-directive') === 'REPLACE';
  const record = await context.store.commit(
    staged,
    {
      key: request.key,
      etag: found.record.etag,
      size: found.record.size,
      contentType: replace
        ? (request.header('content-type') ?? 'binary/octet-stream')
        : found.record.contentType,
      headers: replace ? storedHeaders(request) : found.record.headers,
      checksum: found.record.checksum,
    },
    condition,
  );
  context.created(record, 'Copy');
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument(
      'CopyObjectResult',
      element('LastModified', record.lastModified) + element('ETag', record.etag),
    ),
  };
};

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`; undefined for what S3 ignores (several ranges, junk). */
const parseRange = (
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined => {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, from = '', to = ''] = match;
  let start: number;
  let end: number;
  if (from === '') {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) {
    throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: header ?? '',
      ActualObjectSize: String(size),
    });
  }
  return { start, end };
};

/** GET/HEAD conditions: If-Match → 412, If-None-Match → 304, and the date ones. */
const readConditionAnswer = (request: S3Request, record: ObjectRecord): S3Response | undefined => {
  const ifMatch = request.header('if-match');
  const ifNoneMatch = request.header('if-none-match');
  const modified = Date.parse(record.lastModified);
  const since = (name: string) => {
    const value = request.header(name);
    return value === undefined ? undefined : Date.parse(value);
  };
  const matches = (list: string) =>
    list.split(',').some((tag) => tag.trim() === '*' || tag.trim() === record.etag);
  if (ifMatch !== undefined && !matches(ifMatch)) throw preconditionFailed('If-Match');
  const unmodifiedSince = since('if-unmodified-since');
  if (ifMatch === undefined && unmodifiedSince !== undefined && modified > unmodifiedSince + 999)
    throw preconditionFailed('If-Unmodified-Since');
  const notModified = {
    status: 304,
    headers: { etag: record.etag, 'last-modified': httpDate(record.lastModified) },
  };
  if (ifNoneMatch !== undefined) return matches(ifNoneMatch) ? notModified : undefined;
  const modifiedSince = since('if-modified-since');
  if (modifiedSince !== undefined && modified <= modifiedSince + 999) return notModified;
  return undefined;
};

export const getObject = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  const head = request.method === 'HEAD';
  const current = context.store.get(request.key);
  if (!current) throw noSuchKey(request.key);
  if (request.query.partNumber !== undefined) throw notImplemented('GetObject with partNumber');
  const early = readConditionAnswer(request, current);
  if (early) return early;
  const range = parseRange(request.header('range'), current.size);
  const withChecksum =
    request.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && range === undefined;
  const answer = (record: ObjectRecord): Record<string, string> => ({
    ...objectHeaders(record),
    ...(withChecksum ? checksumHeaders(record) : {}),
    ...(withChecksum && record.checksum ? { 'x-amz-checksum-type': record.checksum.type } : {}),
    ...(range
      ? {
          'content-range': `bytes ${range.start}-${range.end}/${record.size}`,
          'content-length': String(range.end - range.start + 1),
        }
      : { 'content-length': String(record.size) }),
  });
  if (head) return { status: range ? 206 : 200, headers: answer(current) };
  const found = await context.store.read(request.key, range);
  if (!found) throw noSuchKey(request.key);
  if (found.record !== current) {
    // Overwritten between the look-up and the open: answer for what is being sent.
    const again = readConditionAnswer(request, found.record);
    if (again || (range && range.end >= found.record.size)) {
      found.stream.destroy();
      return again ?? getObject(request, context);
    }
  }
  return { status: range ? 206 : 200, headers: answer(found.record), body: found.stream };
};

export const deleteObject = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  await context.store.delete(request.key);
  return { status: 204 };
};

// --- multipart upload -------------------------------------------------------------------------

export const createMultipartUpload = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  const named = request.header('x-amz-checksum-algorithm');
  const checksumAlgorithm = named === undefined ? undefined : parseChecksumAlgorithm(named);
  if (named !== undefined && !checksumAlgorithm)
    throw invalidRequest(`Checksum algorithm ${named} is not supported by the local object store.`);
  const upload = await context.uploads.create({
    key: request.key,
    contentType: request.header('content-type') ?? 'binary/octet-stream',
    headers: storedHeaders(request),
    checksumAlgorithm,
  });
  return {
    status: 200,
    headers: {
      'content-type': 'application/xml',
      ...(checksumAlgorithm ? { 'x-amz-checksum-algorithm': checksumAlgorithm } : {}),
    },
    body: xmlDocument(
      'InitiateMultipartUploadResult',
      element('Bucket', context.store.name) +
        element('Key', request.key) +
        element('UploadId', upload.uploadId),
    ),
  };
};

export const uploadPart = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  if (request.header('x-amz-copy-source') !== undefined) throw notImplemented('UploadPartCopy');
  const upload = await context.uploads.get(request.query.uploadId ?? '', request.key);
  const part = await context.uploads.putPart(upload, Number(request.query.partNumber), request.raw);
  return {
    status: 200,
    headers: {
      etag: part.etag,
      ...(part.checksum && upload.checksumAlgorithm
        ? { [checksumHeader(upload.checksumAlgorithm)]: part.checksum }
        : {}),
    },
  };
};

export const completeMultipartUpload = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  const condition = writeCondition(request);
  const upload = await context.uploads.get(request.query.uploadId ?? '', request.key);
  const chunks: Buffer[] = [];
  for await (const chunk of request.raw) chunks.push(chunk as Buffer);
  const xml = Buffer.concat(chunks).toString('utf8');
  const listed = elementsOf(xml, 'Part').map((part) => ({
    partNumber: Number(elementsOf(part, 'PartNumber')[0]),
    etag: elementsOf(part, 'ETag')[0] ?? '',
  }));
  const record = await context.uploads.complete(upload, listed, condition);
  context.created(record, 'CompleteMultipartUpload');
  const checksum = record.checksum
    ? element(`Checksum${record.checksum.algorithm}`, record.checksum.value)
    : '';
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument(
      'CompleteMultipartUploadResult',
      element('Location', `/${context.store.name}/${request.key}`) +
        element('Bucket', context.store.name) +
        element('Key', request.key) +
        element('ETag', record.etag) +
        checksum,
    ),
  };
};

export const abortMultipartUpload = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  const upload = await context.uploads.get(request.query.uploadId ?? '', request.key);
  await context.uploads.abort(upload);
  return { status: 204 };
};

export const listParts = async (
  request: S3Request,
  context: ObjectContext,
): Promise<S3Response> => {
  const upload = await context.uploads.get(request.query.uploadId ?? '', request.key);
  const parts = await context.uploads.parts(upload);
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: xmlDocument(
      'ListPartsResult',
      element('Bucket', context.store.name) +
        element('Key', request.key) +
        element('UploadId', upload.uploadId) +
        element('IsTruncated', false) +
        parts
          .map(
            (p) =>
              `<Part>${element('PartNumber', p.partNumber)}${element('LastModified', p.lastModified)}${element('ETag', p.etag)}${element('Size', p.size)}${p.checksum && upload.checksumAlgorithm ? element(`Checksum${upload.checksumAlgorithm}`, p.checksum) : ''}</Part>`,
          )
          .join(''),
    ),
  };
};
