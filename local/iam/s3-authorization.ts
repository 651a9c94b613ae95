// S3's authorisation in front of the local object store: every request signed with a role's
// access key id is mapped to the IAM action S3 authorises it as (the S3 API reference's
// "Permissions" of each operation), with its resource ARN and condition keys, and answered as S3
// answers a denial — 403 with an XML <Code>AccessDenied</Code> — when the role does not allow it.

import { S3Error } from '../object-store/s3-error.js';
import type { RequestAuthorizer, S3Request } from '../object-store/s3-request.js';
import type { LocalIam } from './local-iam.js';

interface RequestLine {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
}

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
  request: RequestLine & { copySource?: string },
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

const accessKeyOf = (request: S3Request): string | undefined => {
  const header = /Credential=([^/,\s]+)\//.exec(request.header('authorization') ?? '');
  if (header?.[1]) return header[1];
  return request.query['X-Amz-Credential']?.split('/')[0];
};

const accessDenied = (message: string) => new S3Error(403, 'AccessDenied', message);

/**
 * The authorisation for the local object store. `lakeBucket` is the local name of the
 * template's LakeBucket: requests to it are authorised as requests to the template's bucket.
 * Requests signed with a key that is not a role's (the twin's own) are not checked.
 */
export const enforceIam = (iam: LocalIam, lakeBucket: string): RequestAuthorizer => {
  const templateLake = iam.physicalName('LakeBucket');
  const bucketArnName = (bucket: string) => (bucket === lakeBucket ? templateLake : bucket);
  const permissionsOf = (request: S3Request) =>
    s3Permissions(
      {
        method: request.method,
        path: request.path,
        query: request.query,
        copySource: request.header('x-amz-copy-source'),
      },
      bucketArnName,
    );
  return {
    authorize: async (request) => {
      const accessKeyId = accessKeyOf(request);
      if (accessKeyId === undefined || !iam.knows(accessKeyId)) return undefined;
      const permissions = permissionsOf(request);
      if (!permissions) {
        return new S3Error(
          501,
          'NotImplemented',
          `the local S3 does not authorise ${request.method} ${request.path}`,
        );
      }
      for (const permission of permissions) {
        const decision = await iam.authorize({ accessKeyId, ...permission });
        if (!decision.allowed) return accessDenied(decision.message);
      }
      return undefined;
    },
    // A missing object is 404 only to a caller that may list the bucket; to others, 403.
    whenMissing: async (request) => {
      const accessKeyId = accessKeyOf(request);
      if (accessKeyId === undefined || !iam.knows(accessKeyId)) return undefined;
      const permissions = permissionsOf(request);
      const read = permissions?.length === 1 && permissions[0]?.action === 's3:GetObject';
      if (!read || !permissions?.[0]) return undefined;
      const decision = await iam.authorize({
        accessKeyId,
        ...missingObjectListing(permissions[0].resource),
      });
      return decision.allowed ? undefined : accessDenied(decision.message);
    },
  };
};
