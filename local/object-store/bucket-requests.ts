// Requests on a bucket: ListObjectsV2 and ListObjects (V1), GetBucketLocation,
// ListMultipartUploads and DeleteObjects.
import type { BucketStore, ObjectRecord } from './bucket-store.js';
import { type ListingPage, listPage } from './listing.js';
import type { MultipartUploads } from './multipart.js';
import { invalidArgument, S3Error } from './s3-error.js';
import type { S3Request, S3Response } from './s3-request.js';
import { element, elementsOf, urlEncodeKey, xmlDocument } from './s3-xml.js';

const OWNER = `<Owner>${element('ID', 'local')}${element('DisplayName', 'local')}</Owner>`;
const TOKEN_PREFIX = 'smogcast:';

const xml = (root: string, body: string): S3Response => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body: xmlDocument(root, body),
});

/** max-keys: 1,000 unless asked for fewer, as S3 caps it. */
const maxKeysOf = (request: S3Request): number => {
  const value = request.query['max-keys'];
  if (value === undefined) return 1000;
  if (!/^\d+$/.test(value))
    throw invalidArgument(
      'Provided max-keys not an integer or within integer range',
      'max-keys',
      value,
    );
  return Math.min(Number(value), 1000);
};

/** An opaque continuation token naming the last entry of the page before. */
export const continuationToken = (last: string): string =>
  Buffer.from(`${TOKEN_PREFIX}${last}`, 'utf8').toString('base64');

const entryOfToken = (token: string): string => {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  if (
    !decoded.startsWith(TOKEN_PREFIX) ||
    continuationToken(decoded.slice(TOKEN_PREFIX.length)) !== token
  ) {
    throw invalidArgument(
      'The continuation token provided is incorrect',
      'continuation-token',
      token,
    );
  }
  return decoded.slice(TOKEN_PREFIX.length);
};

const listingFields = (request: S3Request) => {
  const encodingType = request.query['encoding-type'];
  if (encodingType !== undefined && encodingType !== 'url')
    throw invalidArgument(
      'Invalid Encoding Method specified in Request',
      'encoding-type',
      encodingType,
    );
  const encode = encodingType === 'url' ? urlEncodeKey : (text: string) => text;
  const delimiter = request.query.delimiter || undefined;
  return {
    prefix: request.query.prefix ?? '',
    delimiter,
    encode,
    encodingType,
    maxKeys: maxKeysOf(request),
  };
};

const contentsXml = (
  records: ObjectRecord[],
  encode: (key: string) => string,
  withOwner: boolean,
): string =>
  records
    .map(
      (r) =>
        `<Contents>${element('Key', encode(r.key))}${element('LastModified', r.lastModified)}${element('ETag', r.etag)}${r.checksum ? element('ChecksumAlgorithm', r.checksum.algorithm) : ''}${element('Size', r.size)}${withOwner ? OWNER : ''}${element('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join('');

const pageXml = (
  store: BucketStore,
  page: ListingPage,
  encode: (key: string) => string,
  withOwner: boolean,
): string =>
  contentsXml(
    page.keys.map((key) => store.get(key) as ObjectRecord),
    encode,
    withOwner,
  ) +
  page.commonPrefixes
    .map((p) => `<CommonPrefixes>${element('Prefix', encode(p))}</CommonPrefixes>`)
    .join('');

export const listObjectsV2 = (request: S3Request, store: BucketStore): S3Response => {
  const { prefix, delimiter, encode, encodingType, maxKeys } = listingFields(request);
  const token = request.query['continuation-token'];
  const startAfter = request.query['start-after'];
  const after = token !== undefined ? entryOfToken(token) : startAfter;
  const page = listPage(store.keys, { prefix, delimiter, after, maxKeys });
  const body =
    element('Name', store.name) +
    element('Prefix', encode(prefix)) +
    (delimiter !== undefined ? element('Delimiter', encode(delimiter)) : '') +
    element('MaxKeys', maxKeys) +
    (encodingType ? element('EncodingType', encodingType) : '') +
    element('KeyCount', page.keys.length + page.commonPrefixes.length) +
    element('IsTruncated', page.isTruncated) +
    (token !== undefined ? element('ContinuationToken', token) : '') +
    (page.isTruncated && page.last !== undefined
      ? element('NextContinuationToken', continuationToken(page.last))
      : '') +
    (startAfter !== undefined ? element('StartAfter', encode(startAfter)) : '') +
    pageXml(store, page, encode, request.query['fetch-owner'] === 'true');
  return xml('ListBucketResult', body);
};

export const listObjectsV1 = (request: S3Request, store: BucketStore): S3Response => {
  const { prefix, delimiter, encode, encodingType, maxKeys } = listingFields(request);
  const marker = request.query.marker;
  const page = listPage(store.keys, { prefix, delimiter, after: marker || undefined, maxKeys });
  const body =
    element('Name', store.name) +
    element('Prefix', encode(prefix)) +
    element('Marker', encode(marker ?? '')) +
    // S3 sends NextMarker only with a delimiter; without one, clients resume after the last key.
    (page.isTruncated && delimiter !== undefined && page.last !== undefined
      ? element('NextMarker', encode(page.last))
      : '') +
    element('MaxKeys', maxKeys) +
    (delimiter !== undefined ? element('Delimiter', encode(delimiter)) : '') +
    (encodingType ? element('EncodingType', encodingType) : '') +
    element('IsTruncated', page.isTruncated) +
    pageXml(store, page, encode, true);
  return xml('ListBucketResult', body);
};

export const getBucketLocation = (): S3Response => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>',
});

export const listMultipartUploads = async (
  store: BucketStore,
  uploads: MultipartUploads,
): Promise<S3Response> => {
  const all = await uploads.list();
  return xml(
    'ListMultipartUploadsResult',
    element('Bucket', store.name) +
      element('KeyMarker', '') +
      element('UploadIdMarker', '') +
      element('MaxUploads', 1000) +
      element('IsTruncated', false) +
      all
        .map(
          (u) =>
            `<Upload>${element('Key', u.key)}${element('UploadId', u.uploadId)}${OWNER.replace(/Owner/g, 'Initiator')}${OWNER}${element('StorageClass', 'STANDARD')}${element('Initiated', u.initiated)}</Upload>`,
        )
        .join(''),
  );
};

/** DeleteObjects: at most 1,000 keys; each deleted (a missing one counts as deleted, as in S3). */
export const deleteObjects = async (
  request: S3Request,
  store: BucketStore,
): Promise<S3Response> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request.raw) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const objects = elementsOf(body, 'Object');
  if (!body.includes('<Delete') || objects.length > 1000) {
    throw new S3Error(
      400,
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  const quiet = elementsOf(body, 'Quiet')[0] === 'true';
  const deleted: string[] = [];
  for (const object of objects) {
    const key = elementsOf(object, 'Key')[0];
    if (key === undefined) throw new S3Error(400, 'MalformedXML', 'an <Object> without a <Key>');
    await store.delete(key);
    deleted.push(key);
  }
  return xml(
    'DeleteResult',
    quiet ? '' : deleted.map((key) => `<Deleted>${element('Key', key)}</Deleted>`).join(''),
  );
};
