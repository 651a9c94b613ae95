// update-context's trigger on AWS: the lake's raw/ object-created notifications arrive through
// an SQS queue, a batch of messages per invocation, each body one S3 event. This unwraps a batch
// into the S3 records update-context merges (it also accepts a plain S3 event, as the local
// backlog and a direct invocation send).
import type { S3EventLike } from './update-context.js';

interface QueueRecord {
  messageId: string;
  body: string;
  eventSource?: string;
}

type Records = S3EventLike['Records'];

const isS3Records = (value: unknown): value is Records =>
  Array.isArray(value) &&
  value.every(
    (r) => typeof (r as { s3?: { object?: { key?: unknown } } })?.s3?.object?.key === 'string',
  );

/** What one batch holds: its S3 records, and the messages that held none (with why). */
export interface UnwrappedBatch {
  event: S3EventLike;
  skipped: Array<{ messageId: string; reason: string }>;
}

/**
 * The S3 records of a queue batch, in order. S3's `s3:TestEvent` (sent when the notification is
 * configured) and any body that is not an S3 event are skipped and named, never retried: no
 * retry would make them one.
 */
export const unwrapQueueBatch = (event: { Records: unknown[] }): UnwrappedBatch => {
  const records: Records = [];
  const skipped: UnwrappedBatch['skipped'] = [];
  for (const raw of event.Records) {
    const record = raw as Partial<QueueRecord> & { s3?: unknown };
    if (record.s3 !== undefined) {
      if (isS3Records([record])) records.push(record as Records[number]);
      continue;
    }
    const messageId = String(record.messageId ?? '?');
    let body: unknown;
    try {
      body = JSON.parse(String(record.body ?? ''));
    } catch {
      skipped.push({ messageId, reason: 'body is not JSON' });
      continue;
    }
    const inner = (body as { Records?: unknown; Event?: unknown }) ?? {};
    if (inner.Event === 's3:TestEvent') {
      skipped.push({ messageId, reason: 's3:TestEvent' });
    } else if (isS3Records(inner.Records)) {
      records.push(...inner.Records);
    } else {
      skipped.push({ messageId, reason: 'body is not an S3 event notification' });
    }
  }
  return { event: { Records: records }, skipped };
};
