// The local stand-in for update-context's queue (SQS on AWS, fed by raw/ object-created
// events): events wait here and one invocation at a time takes up to `batchSize` of the oldest,
// as the queue's event source hands Lambda a batch. On a prompt stop the events not yet
// processed are saved to a file and processed at the next start, as the queue would keep them,
// so stopping never loses a context update and never waits for a long backlog.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { S3EventRecord } from 'aws-lambda';

export interface ContextBacklogOptions {
  /** Where the unprocessed events are kept across a stop. */
  file: string;
  /** update-context on the records of one batch of events. */
  work: (records: S3EventRecord[]) => Promise<unknown>;
  onError: (error: unknown) => void;
  /**
   * Events handed to one invocation at most, oldest first (the queue's batch size on AWS): a
   * backlog is folded into the context once per batch instead of once per delivery.
   */
  batchSize?: number;
}

export class ContextBacklog {
  /** Events queued and not yet processed, oldest first; the batch in progress is at the head. */
  private readonly waiting: S3EventRecord[][] = [];
  private running: Promise<void> | undefined;
  private suspended = false;
  /** A saved backlog is on disk: kept until its events are processed (at least once). */
  private saved = false;
  /** Events processed, and invocations that processed them. */
  done = 0;
  batches = 0;

  constructor(private readonly options: ContextBacklogOptions) {}

  /** Queues one event; once suspended it is saved for the next start instead. */
  add(records: S3EventRecord[]): void {
    this.waiting.push(records);
    if (this.suspended) {
      this.save();
      return;
    }
    this.running ??= this.drain();
  }

  /** One invocation at a time, each on up to `batchSize` of the oldest events. */
  private async drain(): Promise<void> {
    const size = Math.max(1, this.options.batchSize ?? 1);
    while (!this.suspended && this.waiting.length > 0) {
      const batch = this.waiting.slice(0, size);
      try {
        await this.options.work(batch.flat());
        this.done += batch.length;
      } catch (error) {
        // update-context failed: reported, and not retried (as before the backlog existed).
        this.options.onError(error);
      }
      this.batches += 1;
      this.waiting.splice(0, batch.length);
      if (this.saved && this.waiting.length === 0) {
        rmSync(this.options.file, { force: true });
        this.saved = false;
      }
    }
    this.running = undefined;
  }

  /** Events waiting (the one in progress included). */
  get pending(): number {
    return this.waiting.length;
  }

  /** Resolves when every queued event is processed. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Starts no further event, waits for the one in progress, saves the rest to the file.
   * Returns how many were saved.
   */
  async suspend(): Promise<number> {
    this.suspended = true;
    await this.running;
    this.save();
    return this.waiting.length;
  }

  /** Queues the events a previous stop saved; returns how many. */
  replay(): number {
    let saved: S3EventRecord[][];
    try {
      saved = JSON.parse(readFileSync(this.options.file, 'utf8')) as S3EventRecord[][];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new Error(`unreadable context backlog ${this.options.file}: ${String(error)}`);
    }
    this.saved = true;
    for (const records of saved) this.add(records);
    return saved.length;
  }

  private save(): void {
    if (this.waiting.length === 0) {
      rmSync(this.options.file, { force: true });
      this.saved = false;
      return;
    }
    // Write then rename: a stop interrupted mid-write leaves the previous file whole.
    writeFileSync(`${this.options.file}.tmp`, JSON.stringify(this.waiting));
    renameSync(`${this.options.file}.tmp`, this.options.file);
    this.saved = true;
  }
}
