// Local twin of a Kinesis Data Firehose DirectPut stream delivering to S3: records are buffered
// and written as one newline-delimited object when the buffer reaches its size or interval hint,
// under Firehose's key layout `<prefix>YYYY/MM/DD/HH/<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>`;
// with compression GZIP, as the stream's CompressionFormat GZIP does, the object is gzip and its
// key ends in `.gz`.
import { randomUUID } from 'node:crypto';
import { SmogcastError } from '../core/errors.js';
import { firehoseObjectKey } from '../core/lake.js';
import type { ObjectStore } from '../core/ports.js';
import { GZIP_KEY_SUFFIX, gzipRawBody } from '../core/raw-object.js';

export interface FirehoseOptions<T = number> {
  store: ObjectStore;
  streamName: string;
  prefix: string;
  /** Flush when the buffer holds this many bytes (Firehose: 1–128 MiB). */
  bufferBytes: number;
  /** Flush this long after the first buffered record (Firehose: 0–900 s). */
  bufferIntervalMs: number;
  /** The stream's CompressionFormat (default UNCOMPRESSED). */
  compression?: 'GZIP' | 'UNCOMPRESSED';
  now?: () => number;
  /** First delay between delivery retries (doubles each attempt). Default 200 ms. */
  retryBaseMs?: number;
  /**
   * Awaited before each PUT of a batch, with its key and body as stored (the journal records the
   * intent durably); a rejection counts as a failed attempt.
   */
  beforeDeliver?: (key: string, body: string | Uint8Array, tags: readonly T[]) => Promise<void>;
  /** Called once a batch is stored, with the tags given to put() for its records. */
  onDelivered?: (key: string, records: number, tags: readonly T[]) => void;
  /** Called when the PUTs of `key` are given up; its records go back into the buffer. */
  onAbandoned?: (key: string) => void;
  onError?: (error: unknown) => void;
  /**
   * Bytes of flushed batches not yet stored above which room() waits (default 8 buffers): the
   * ingest in front of the stream slows down instead of holding a backlog in memory.
   */
  maxPendingBytes?: number;
}

export class FirehoseStoppedError extends SmogcastError {
  override readonly name = 'FirehoseStoppedError';

  constructor() {
    super('the delivery stream is closed');
  }
}

export class LocalFirehose<T = number> {
  private buffer: string[] = [];
  private tags: T[] = [];
  private bytes = 0;
  private firstArrival = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Bytes of batches flushed and not yet stored (or given back to the buffer). */
  private pendingBytes = 0;
  private waiting: Array<() => void> = [];
  private readonly now: () => number;
  delivered = 0;
  objects = 0;

  constructor(private readonly options: FirehoseOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Buffers one record (a JSON line without its newline). `tag` comes back in onDelivered once
   * the record is stored (the journal entry it stands for).
   */
  put(line: string, tag?: T): void {
    if (this.buffer.length === 0 && !this.stopped) {
      this.firstArrival = this.now();
      this.timer = setTimeout(() => void this.flush(), this.options.bufferIntervalMs);
    }
    this.buffer.push(line);
    this.tags.push(tag as T);
    this.bytes += Buffer.byteLength(line) + 1;
    if (this.bytes >= this.options.bufferBytes && !this.stopped) void this.flush();
  }

  /** Writes whatever is buffered; resolves when every earlier batch is stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0 && !this.stopped) {
      const lines = this.buffer;
      const tags = this.tags;
      const arrival = this.firstArrival;
      const bytes = this.bytes;
      this.buffer = [];
      this.tags = [];
      this.bytes = 0;
      this.pendingBytes += bytes;
      this.inFlight = this.inFlight
        .then(() => this.deliver(lines, tags, arrival))
        .finally(() => this.settle(bytes));
    }
    return this.inFlight;
  }

  /** Resolves once the batches waiting to be stored are within maxPendingBytes (or closed). */
  room(): Promise<void> {
    if (this.pendingBytes <= this.maxPending() || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** No more deliveries or timers: what is still buffered stays in the journal. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  private maxPending(): number {
    return this.options.maxPendingBytes ?? 8 * this.options.bufferBytes;
  }

  private settle(bytes: number): void {
    this.pendingBytes -= bytes;
    if (this.pendingBytes <= this.maxPending()) this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  private async deliver(lines: string[], tags: T[], arrival: number): Promise<void> {
    const { store, prefix, streamName } = this.options;
    const gzip = this.options.compression === 'GZIP';
    const name = firehoseObjectKey(prefix, streamName, arrival, randomUUID());
    const key = gzip ? `${name}${GZIP_KEY_SUFFIX}` : name;
    const text = `${lines.join('\n')}\n`;
    const body = gzip ? gzipRawBody(text) : text;
    // Firehose retries S3 delivery; so do we, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.stopped) throw new FirehoseStoppedError();
        await this.options.beforeDeliver?.(key, body, tags);
        await store.put(key, body, gzip ? 'application/gzip' : 'application/x-ndjson');
        break;
      } catch (error) {
        if (attempt >= 5 || this.stopped) {
          // Never drop: put the batch back in the buffer for the next flush.
          this.options.onAbandoned?.(key);
          if (!(error instanceof FirehoseStoppedError)) this.options.onError?.(error);
          for (let i = 0; i < lines.length; i++) this.put(lines[i] as string, tags[i] as T);
          return;
        }
        await new Promise((resolve) =>
          setTimeout(resolve, (this.options.retryBaseMs ?? 200) * 2 ** attempt),
        );
      }
    }
    this.delivered += lines.length;
    this.objects += 1;
    this.options.onDelivered?.(key, lines.length, tags);
  }

  get buffered(): number {
    return this.buffer.length;
  }
}
