// What IoT Core drops without storing it, made visible: publishes refused at the protocol (over
// the message size limit), publishes to topics no rule selects (or Basic Ingest to a rule that
// does not exist: RuleNotFound on AWS) and payloads the rule cannot evaluate (not a JSON object:
// the rule's ParseError on AWS, which runs no action, not even the error action). Each is counted durably (a
// journal line, see journal.ts, so the counts survive restarts); a bounded sample (per kind, at
// most SAMPLES_PER_MINUTE a minute, the first HEAD_BYTES of the payload) goes to errors/ in
// Firehose's error-record shape with the client id, topic and size, so a flood of them costs a
// few small records, not the lake.
export type NoticeKind = 'refused' | 'unmatched' | 'unparsed';

export interface ProtocolNotice {
  kind: NoticeKind;
  clientId: string | undefined;
  topic: string;
  /** The payload's size in bytes (all of it, not just the sampled head). */
  size: number;
  head: Uint8Array;
  reason: string;
}

export const SAMPLES_PER_MINUTE = 60;
export const HEAD_BYTES = 64;
const MINUTE_MS = 60_000;

export const NOTICE_ERROR_CODES = {
  refused: 'PacketTooLarge',
  unmatched: 'UnmatchedTopic',
  unparsed: 'ParseError',
};

/** At most `perMinute` samples of each kind in any calendar minute. */
export class NoticeSampler {
  private readonly windows = new Map<NoticeKind, { minute: number; taken: number }>();

  constructor(private readonly perMinute = SAMPLES_PER_MINUTE) {}

  allow(kind: NoticeKind, now: number): boolean {
    const minute = Math.floor(now / MINUTE_MS);
    const window = this.windows.get(kind);
    if (!window || window.minute !== minute) {
      this.windows.set(kind, { minute, taken: 1 });
      return this.perMinute > 0;
    }
    window.taken++;
    return window.taken <= this.perMinute;
  }
}

/** The sampled notice as an errors/ line (rawData: the first HEAD_BYTES bytes, base64). */
export const noticeRecord = (notice: ProtocolNotice, now: number): string => {
  const head = notice.head.subarray(0, HEAD_BYTES);
  return JSON.stringify({
    errorCode: NOTICE_ERROR_CODES[notice.kind],
    errorMessage: notice.reason,
    topic: notice.topic,
    clientId: notice.clientId ?? null,
    size: notice.size,
    arrivalTimestamp: now,
    rawData: Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('base64'),
    truncated: notice.size > head.byteLength,
  });
};
