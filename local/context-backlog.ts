// The local stand-in for S3's asynchronous invocation queue of update-context: raw/
// object-created events wait here, one job at a time. On a prompt stop the events not yet
// processed are saved to a file and processed at the next start, as Lambda would retry them,
// so stopping never loses a context update and never waits for a long backlog.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { S3EventRecord } from 'aws-lambda';
import { SerialQueue } from './serial-queue.js';

export interface ContextBacklogOptions {
  /** Where the unprocessed events are kept across a stop. */
  file: string;
  /** update-context on one event's records. */
  work: (records: S3EventRecord[]) => Promise<unknown>;
  onError: (error: unknown) => void;
}

export class ContextBacklog {
  private readonly queue = new SerialQueue();
  /** Events queued and not yet processed, oldest first. */
  private readonly waiting: S3EventRecord[][] = [];
  private suspended = false;
  /** A saved backlog is on disk: kept until its events are processed (at least once). */
  private saved = false;
  done = 0;

  constructor(private readonly options: ContextBacklogOptions) {}

  /** Queues one event; once suspended it is saved for the next start instead. */
  add(records: S3EventRecord[]): void {
    this.waiting.push(records);
    if (this.suspended) {
      this.save();
      return;
    }
    void this.queue
      .run(async () => {
        if (this.suspended) return;
        await this.options.work(records);
        this.settle(records);
        this.done++;
      })
      .catch((error: unknown) => {
        // update-context failed: reported, and not retried (as before the backlog existed).
        this.settle(records);
        this.options.onError(error);
      });
  }

  /** Events waiting (the one in progress included). */
  get pending(): number {
    return this.waiting.length;
  }

  /** Resolves when every queued event is processed. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Starts no further event, waits for the one in progress, saves the rest to the file.
   * Returns how many were saved.
   */
  async suspend(): Promise<number> {
    this.suspended = true;
    await this.queue.idle();
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

  private settle(records: S3EventRecord[]): void {
    const i = this.waiting.indexOf(records);
    if (i >= 0) this.waiting.splice(i, 1);
    if (this.saved && this.waiting.length === 0) {
      rmSync(this.options.file, { force: true });
      this.saved = false;
    }
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
