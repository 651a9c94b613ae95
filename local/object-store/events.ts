// The S3 event notification S3 sends Lambda for an object-created event (the shape
// update-context receives on AWS): the key URL-encoded as S3 encodes it (spaces as '+').
import { randomBytes } from 'node:crypto';
import type { S3Event } from 'aws-lambda';
import type { ObjectRecord } from './bucket-store.js';

export type CreatedBy = 'Put' | 'Post' | 'Copy' | 'CompleteMultipartUpload';

const encodeEventKey = (key: string): string =>
  encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

export const objectCreatedEvent = (
  bucket: string,
  record: ObjectRecord,
  createdBy: CreatedBy,
  sourceIp: string,
): S3Event => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: record.lastModified,
      eventName: `ObjectCreated:${createdBy}`,
      userIdentity: { principalId: 'AWS:LOCAL' },
      requestParameters: { sourceIPAddress: sourceIp },
      responseElements: {
        'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
        'x-amz-id-2': randomBytes(24).toString('base64'),
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'local-object-created',
        bucket: {
          name: bucket,
          ownerIdentity: { principalId: 'LOCAL' },
          arn: `arn:aws:s3:::${bucket}`,
        },
        object: {
          key: encodeEventKey(record.key),
          size: record.size,
          eTag: record.etag.slice(1, -1),
          sequencer: Date.now().toString(16).toUpperCase().padStart(16, '0'),
        },
      },
    },
  ],
});
