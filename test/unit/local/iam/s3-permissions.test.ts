// What the local S3 authorises each request as: the IAM action, resource ARN and condition keys
// S3 itself checks for that operation.
import { describe, expect, it } from 'vitest';
import { missingObjectListing, s3Permissions } from '../../../../local/iam/s3-authorization.js';

const lake = (bucket: string) => (bucket === 'smogcast-lake' ? 'deployed-lake' : bucket);
const permissions = (
  method: string,
  path: string,
  query: Record<string, string> = {},
  copySource?: string,
) => s3Permissions({ method, path, query, copySource }, lake);

describe('s3Permissions', () => {
  it('maps object reads, writes and deletes to their actions on the object ARN', () => {
    expect(permissions('GET', '/smogcast-lake/curated/dt%3D2026-11-20/a.parquet')).toEqual([
      {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::deployed-lake/curated/dt=2026-11-20/a.parquet',
      },
    ]);
    expect(permissions('HEAD', '/smogcast-lake/models/serving.json')?.[0]?.action).toBe(
      's3:GetObject',
    );
    expect(permissions('PUT', '/smogcast-lake/runs/r.json')?.[0]?.action).toBe('s3:PutObject');
    expect(permissions('DELETE', '/smogcast-lake/glue-temp/x')?.[0]?.action).toBe(
      's3:DeleteObject',
    );
    expect(permissions('DELETE', '/smogcast-lake/raw/x', { uploadId: 'u' })?.[0]?.action).toBe(
      's3:AbortMultipartUpload',
    );
  });

  it('authorises a copy as a read of the source too', () => {
    expect(permissions('PUT', '/smogcast-lake/models/b', {}, '/smogcast-lake/models/a')).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::deployed-lake/models/b' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::deployed-lake/models/a' },
    ]);
  });

  it('maps a listing to s3:ListBucket on the bucket with its prefix as s3:prefix', () => {
    expect(permissions('GET', '/smogcast-lake', { 'list-type': '2', prefix: 'context/' })).toEqual([
      {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::deployed-lake',
        context: { 's3:prefix': 'context/' },
      },
    ]);
    expect(permissions('GET', '/smogcast-lake', { location: '' })?.[0]?.action).toBe(
      's3:GetBucketLocation',
    );
    expect(permissions('PATCH', '/smogcast-lake')).toBeUndefined();
  });

  it('checks s3:ListBucket with the key as prefix before saying an object is missing', () => {
    expect(missingObjectListing('arn:aws:s3:::deployed-lake/context/sim-9.json')).toEqual({
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::deployed-lake',
      context: { 's3:prefix': 'context/sim-9.json' },
    });
  });
});
