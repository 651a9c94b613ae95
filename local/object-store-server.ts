// Local stand-in for S3 on 127.0.0.1 (node:http), data on disk under the data dir. The real
// @aws-sdk/client-s3 and the aws CLI talk to it path-style: listings page (continuation tokens,
// markers, delimiters) past any number of keys, writes are atomic and honour If-Match and
// If-None-Match: *, flexible checksums (aws-chunked trailers included) are verified and sent
// back, multipart uploads work as the CLI makes them, and object-created events feed
// S3-triggered handlers. With `iam`, requests signed with a role's key are authorised first.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Event } from 'aws-lambda';
import type { LocalIam } from './iam/local-iam.js';
import { enforceIam } from './iam/s3-authorization.js';
import {
  deleteObjects,
  getBucketLocation,
  listMultipartUploads,
  listObjectsV1,
  listObjectsV2,
} from './object-store/bucket-requests.js';
import { BucketStore } from './object-store/bucket-store.js';
import { objectCreatedEvent } from './object-store/events.js';
import { MultipartUploads } from './object-store/multipart.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  copyObject,
  createMultipartUpload,
  deleteObject,
  getObject,
  listParts,
  type ObjectContext,
  putObject,
  uploadPart,
} from './object-store/object-requests.js';
import { noSuchBucket, notImplemented, S3Error } from './object-store/s3-error.js';
import {
  parseRequest,
  type RequestAuthorizer,
  type S3Request,
  type S3Response,
} from './object-store/s3-request.js';
import { element, errorXml, xmlDocument } from './object-store/s3-xml.js';

export interface ObjectStoreServerOptions {
  directory: string;
  bucket: string;
  port?: number;
  host?: string;
  /** Called for each ObjectCreated event, in the S3 notification shape Lambda receives. */
  onObjectCreated?: (event: S3Event) => void;
  /**
   * Authorise requests signed with a role's access key id against that role in the template,
   * as S3 does (403 AccessDenied). `bucket` stands for the template's LakeBucket.
   */
  iam?: LocalIam;
}

export interface ObjectStoreServer {
  url: string;
  close(): Promise<void>;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Bucket and object sub-resources the store does not keep (ACLs, tagging, versioning, …). */
const UNSUPPORTED = [
  'acl',
  'cors',
  'lifecycle',
  'policy',
  'tagging',
  'versioning',
  'versionId',
  'versions',
  'notification',
  'website',
  'encryption',
  'replication',
  'retention',
  'legal-hold',
  'object-lock',
  'torrent',
  'restore',
  'select',
  'attributes',
  'logging',
  'ownershipControls',
  'publicAccessBlock',
];

class Buckets {
  private readonly open = new Map<string, { store: BucketStore; uploads: MultipartUploads }>();

  constructor(private readonly root: string) {}

  async load(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const name of await readdir(this.root)) await this.create(name);
  }

  get(name: string) {
    return this.open.get(name);
  }

  names(): string[] {
    return [...this.open.keys()].sort();
  }

  async create(name: string) {
    const existing = this.open.get(name);
    if (existing) return existing;
    const store = await BucketStore.open(name, join(this.root, name));
    const bucket = { store, uploads: new MultipartUploads(store) };
    this.open.set(name, bucket);
    return bucket;
  }
}

const route = async (
  request: S3Request,
  buckets: Buckets,
  created: (bucket: string, ...args: Parameters<ObjectContext['created']>) => void,
): Promise<S3Response> => {
  const { method, query } = request;
  const unsupported = UNSUPPORTED.find((name) => query[name] !== undefined);
  if (unsupported) throw notImplemented(`?${unsupported}`);
  if (request.bucket === '') {
    if (method !== 'GET')
      throw new S3Error(
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
    const list = buckets
      .names()
      .map(
        (name) =>
          `<Bucket>${element('Name', name)}${element('CreationDate', new Date(0).toISOString())}</Bucket>`,
      );
    return {
      status: 200,
      headers: { 'content-type': 'application/xml' },
      body: xmlDocument(
        'ListAllMyBucketsResult',
        `<Owner>${element('ID', 'local')}${element('DisplayName', 'local')}</Owner><Buckets>${list.join('')}</Buckets>`,
      ),
    };
  }
  if (request.key === '' && method === 'PUT') {
    if (buckets.get(request.bucket))
      throw new S3Error(
        409,
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    if (!BUCKET_NAME.test(request.bucket))
      throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.');
    await buckets.create(request.bucket);
    return { status: 200, headers: { location: `/${request.bucket}` } };
  }
  const bucket = buckets.get(request.bucket);
  if (!bucket) throw noSuchBucket(request.bucket);
  const { store, uploads } = bucket;
  if (request.key === '') {
    if (method === 'HEAD') return { status: 200, headers: { 'x-amz-bucket-region': 'us-east-1' } };
    if (method === 'GET' && query.location !== undefined) return getBucketLocation();
    if (method === 'GET' && query.uploads !== undefined)
      return listMultipartUploads(store, uploads);
    if (method === 'GET' && query['list-type'] === '2') return listObjectsV2(request, store);
    if (method === 'GET' && query['list-type'] === undefined) return listObjectsV1(request, store);
    if (method === 'POST' && query.delete !== undefined) return deleteObjects(request, store);
    throw notImplemented(`${method} on a bucket`);
  }
  const context: ObjectContext = {
    store,
    uploads,
    created: (record, by) => created(store.name, record, by),
  };
  switch (method) {
    case 'PUT': {
      if (query.uploadId !== undefined) return uploadPart(request, context);
      const copySource = request.header('x-amz-copy-source');
      if (copySource === undefined) return putObject(request, context);
      const [sourceBucket = '', ...sourceKey] = decodeURIComponent(copySource.split('?')[0] ?? '')
        .replace(/^\//, '')
        .split('/');
      const source = buckets.get(sourceBucket);
      if (!source) throw noSuchBucket(sourceBucket);
      return copyObject(request, context, source.store, sourceKey.join('/'));
    }
    case 'POST':
      if (query.uploads !== undefined) return createMultipartUpload(request, context);
      if (query.uploadId !== undefined) return completeMultipartUpload(request, context);
      throw notImplemented('POST on an object');
    case 'GET':
    case 'HEAD':
      if (query.uploadId !== undefined && method === 'GET') return listParts(request, context);
      return getObject(request, context);
    case 'DELETE':
      if (query.uploadId !== undefined) return abortMultipartUpload(request, context);
      return deleteObject(request, context);
    default:
      throw new S3Error(
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
  }
};

const send = (res: ServerResponse, answer: S3Response, head: boolean): void => {
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  const { body } = answer;
  if (body instanceof Readable) {
    if (head) {
      body.destroy();
      res.end();
      return;
    }
    body.on('error', () => res.destroy());
    body.pipe(res);
    return;
  }
  if (body !== undefined && !res.hasHeader('content-length'))
    res.setHeader('content-length', Buffer.byteLength(body));
  if (body === undefined && !res.hasHeader('content-length')) res.setHeader('content-length', 0);
  res.end(head ? undefined : body);
};

const errorAnswer = (
  error: S3Error,
  request: S3Request | undefined,
  requestId: string,
): S3Response => ({
  status: error.status,
  headers: { 'content-type': 'application/xml' },
  body: errorXml(error, request?.path ?? '/', requestId),
});

export const startObjectStoreServer = async (
  options: ObjectStoreServerOptions,
): Promise<ObjectStoreServer> => {
  const host = options.host ?? '127.0.0.1';
  const buckets = new Buckets(join(options.directory, 'buckets'));
  await buckets.load();
  await buckets.create(options.bucket);
  const authorizer: RequestAuthorizer | undefined = options.iam
    ? enforceIam(options.iam, options.bucket)
    : undefined;
  const notify = options.onObjectCreated;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    res.setHeader('server', 'smogcast-local-s3');
    const head = req.method === 'HEAD';
    let request: S3Request | undefined;
    try {
      request = parseRequest(req);
      const denied = await authorizer?.authorize(request);
      if (denied) return send(res, errorAnswer(denied, request, requestId), head);
      const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
      const answer = await route(request, buckets, (bucket, record, by) =>
        notify?.(objectCreatedEvent(bucket, record, by, sourceIp)),
      );
      send(res, answer, head);
    } catch (caught) {
      let error =
        caught instanceof S3Error
          ? caught
          : caught instanceof URIError
            ? new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.")
            : new S3Error(
                500,
                'InternalError',
                `We encountered an internal error: ${String(caught)}`,
              );
      if (error.code === 'NoSuchKey' && request && authorizer)
        error = (await authorizer.whenMissing(request).catch(() => undefined)) ?? error;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(res, errorAnswer(error, request, requestId), head);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  // The SDK keeps connections alive between calls; let idle ones go quickly on close.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests in flight get a moment to finish; then their connections go too.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
};
