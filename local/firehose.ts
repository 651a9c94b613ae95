// Local twin of a Kinesis Data Firehose DirectPut stream delivering to S3: records are buffered
// and written as one newline-delimited object when the buffer reaches its size or interval hint,
// under Firehose's key layout `<prefix>YYYY/MM/DD/HH/<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>`.
import { randomUUID } from 'node:crypto';
import { firehoseObjectKey } from '../core/lake.js';
import type { ObjectStore } from '../core/ports.js';

export interface FirehoseOptions {
  store: ObjectStore;
  streamName: string;
  prefix: string;
  /** Flush when the buffer holds this many bytes (Firehose: 1–128 MiB). */
  bufferBytes: number;
  /** Flush this long after the first buffered record (Firehose: 0–900 s). */
  bufferIntervalMs: number;
  now?: () => number;
  /** First delay between delivery retries (doubles each attempt). Default 200 ms. */
  retryBaseMs?: number;
  /** Called once a batch is stored, with the tags given to put() for its records. */
  onDelivered?: (key: string, records: number, tags: readonly number[]) => void;
  onError?: (error: unknown) => void;
}

export class LocalFirehose {
  private buffer: string[] = [];
  private tags: number[] = [];
  private bytes = 0;
  private firstArrival = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  delivered = 0;
  objects = 0;

  constructor(private readonly options: FirehoseOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Buffers one record (a JSON line without its newline). `tag` comes back in onDelivered once
   * the record is stored (the journal segment it must be released from).
   */
  put(line: string, tag = 0): void {
    if (this.buffer.length === 0) {
      this.firstArrival = this.now();
      this.timer = setTimeout(() => void this.flush(), this.options.bufferIntervalMs);
    }
    this.buffer.push(line);
    this.tags.push(tag);
    this.bytes += Buffer.byteLength(line) + 1;
    if (this.bytes >= this.options.bufferBytes) void this.flush();
  }

  /** Writes whatever is buffered; resolves when every earlier batch is stored. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length > 0) {
      const lines = this.buffer;
      const tags = this.tags;
      const arrival = this.firstArrival;
      this.buffer = [];
      this.tags = [];
      this.bytes = 0;
      this.inFlight = this.inFlight.then(() => this.deliver(lines, tags, arrival));
    }
    return this.inFlight;
  }

  private async deliver(lines: string[], tags: number[], arrival: number): Promise<void> {
    const { store, prefix, streamName } = this.options;
    const key = firehoseObjectKey(prefix, streamName, arrival, randomUUID());
    // Firehose retries S3 delivery; so do we, a bounded number of times.
    for (let attempt = 1; ; attempt++) {
      try {
        await store.put(key, `${lines.join('\n')}\n`, 'application/x-ndjson');
        break;
      } catch (error) {
        if (attempt >= 5) {
          // Never drop: put the batch back in front of the buffer for the next flush.
          this.options.onError?.(error);
          for (let i = 0; i < lines.length; i++) this.put(lines[i] as string, tags[i]);
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
