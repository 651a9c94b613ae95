// S3's authorisation in front of the local object store (s3rver): every request signed with a
// role's access key id is mapped to the IAM action S3 authorises it as (the S3 API reference's
// "Permissions" of each operation), with its resource ARN and condition keys, and answered as S3
// answers a denial — 403 with an XML <Code>AccessDenied</Code> — when the role does not allow it.
import { createRequire } from 'node:module';
import type S3rver from 's3rver';
import type { LocalIam } from './local-iam.js';

/** s3rver's account registry (the keys it accepts); it ships no typings. */
const AWSAccount = createRequire(import.meta.url)('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
  get(header: string): string;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

export interface S3Permission {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * What S3 authorises a path-style request as; `bucketArnName` maps the request's bucket to the
 * bucket name the policies use. Undefined for requests the twin's callers never make.
 */
export const s3Permissions = (
  request: Pick<KoaContext, 'method' | 'path' | 'query'> & { copySource?: string },
  bucketArnName: (bucket: string) => string,
): S3Permission[] | undefined => {
  const [bucket = '', ...rest] = request.path.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const bucketArn = `arn:aws:s3:::${bucketArnName(bucket)}`;
  const q = request.query;
  if (key === '') {
    if ((request.method === 'GET' && q.location !== undefined) || request.method === 'HEAD') {
      return [
        {
          action: request.method === 'HEAD' ? 's3:ListBucket' : 's3:GetBucketLocation',
          resource: bucketArn,
        },
      ];
    }
    if (request.method === 'GET' && q.uploads !== undefined) {
      return [{ action: 's3:ListBucketMultipartUploads', resource: bucketArn }];
    }
    if (request.method === 'GET') {
      const context: Record<string, string> = {};
      for (const name of ['prefix', 'delimiter', 'max-keys'] as const) {
        const value = first(q[name]);
        if (value !== undefined) context[`s3:${name}`] = value;
      }
      return [{ action: 's3:ListBucket', resource: bucketArn, context }];
    }
    return undefined;
  }
  const objectArn = `${bucketArn}/${key}`;
  switch (request.method) {
    case 'GET':
      if (q.uploadId !== undefined)
        return [{ action: 's3:ListMultipartUploadParts', resource: objectArn }];
      return [{ action: 's3:GetObject', resource: objectArn }];
    case 'HEAD':
      return [{ action: 's3:GetObject', resource: objectArn }];
    case 'PUT':
    case 'POST': {
      const permissions: S3Permission[] = [{ action: 's3:PutObject', resource: objectArn }];
      if (request.copySource) {
        const [sourceBucket = '', ...sourceKey] = decodeURIComponent(request.copySource)
          .replace(/^\//, '')
          .split('?')[0]
          ?.split('/') ?? [''];
        permissions.push({
          action: 's3:GetObject',
          resource: `arn:aws:s3:::${bucketArnName(sourceBucket)}/${sourceKey.join('/')}`,
        });
      }
      return permissions;
    }
    case 'DELETE':
      return [
        {
          action: q.uploadId !== undefined ? 's3:AbortMultipartUpload' : 's3:DeleteObject',
          resource: objectArn,
        },
      ];
    default:
      return undefined;
  }
};

/**
 * What S3 checks before it tells a caller that an object does not exist: s3:ListBucket on the
 * bucket (here with the key as the listing's prefix, so prefix-scoped grants count).
 */
export const missingObjectListing = (objectArn: string): S3Permission => {
  const [, bucketName = '', key = ''] = /^arn:aws:s3:::([^/]+)\/(.*)$/.exec(objectArn) ?? [];
  return {
    action: 's3:ListBucket',
    resource: `arn:aws:s3:::${bucketName}`,
    context: { 's3:prefix': key },
  };
};

const accessKeyOf = (ctx: KoaContext): string | undefined => {
  const header = /Credential=([^/,\s]+)\//.exec(ctx.get('authorization'));
  if (header?.[1]) return header[1];
  return first(ctx.query['X-Amz-Credential'])?.split('/')[0];
};

const xmlError = (ctx: KoaContext, status: number, code: string, message: string): void => {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escaped}</Message></Error>`;
};

interface S3rverInternals {
  middleware: Middleware[];
}

/**
 * Installs the authorisation in front of everything else (call after any other middleware is
 * installed and before `server.run()`). `lakeBucket` is the local name of the template's
 * LakeBucket: requests to it are authorised as requests to the template's bucket.
 */
export const enforceIam = (server: S3rver, iam: LocalIam, lakeBucket: string): void => {
  const templateLake = iam.physicalName('LakeBucket');
  const bucketArnName = (bucket: string) => (bucket === lakeBucket ? templateLake : bucket);
  // s3rver accepts only keys it knows (it does not check V4 signatures): register the roles'.
  for (const id of Object.keys(iam.template.Resources)) {
    if (iam.knows(id)) AWSAccount.DUMMY_ACCOUNT.createKeyPair(id, id);
  }
  const middleware: Middleware = async (ctx, next) => {
    const accessKeyId = accessKeyOf(ctx);
    if (accessKeyId === undefined || !iam.knows(accessKeyId)) return next();
    const permissions = s3Permissions(
      {
        method: ctx.method,
        path: ctx.path,
        query: ctx.query,
        copySource: ctx.get('x-amz-copy-source'),
      },
      bucketArnName,
    );
    if (!permissions) {
      return xmlError(
        ctx,
        501,
        'NotImplemented',
        `the local S3 does not authorise ${ctx.method} ${ctx.path}`,
      );
    }
    for (const permission of permissions) {
      const decision = await iam.authorize({ accessKeyId, ...permission });
      if (!decision.allowed) return xmlError(ctx, 403, 'AccessDenied', decision.message);
    }
    // A missing object is 404 only to a caller that may list the bucket; to others, 403.
    const read = permissions.length === 1 && permissions[0]?.action === 's3:GetObject';
    const hidden = async (): Promise<boolean> => {
      if (!read || !permissions[0]) return false;
      const listing = missingObjectListing(permissions[0].resource);
      const decision = await iam.authorize({ accessKeyId, ...listing });
      if (!decision.allowed) xmlError(ctx, 403, 'AccessDenied', decision.message);
      return !decision.allowed;
    };
    try {
      await next();
    } catch (error) {
      // s3rver throws its S3Error (NoSuchKey: status 404); Koa renders it.
      if ((error as { status?: number }).status === 404 && (await hidden())) return;
      throw error;
    }
    if (ctx.status === 404) await hidden();
  };
  (server as unknown as S3rverInternals).middleware.unshift(middleware);
};
