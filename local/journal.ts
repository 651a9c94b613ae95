// Write-ahead journal of the local ingest path: what the rule produced is appended here before
// the broker acknowledges the publish (PUBACK), and removed only once Firehose has stored it.
// After a crash the runtime replays what is left, so an acknowledged reading is never lost
// (at-least-once: a record stored just before the crash may be stored twice; the ETL dedupes).
//
// Layout: <dir>/segment-<n>.log, one entry per line, `r<json>` (raw/) or `e<json>` (errors/).
// Appends are group-committed: every entry arriving while a write is in progress goes into the
// next single write (+ fdatasync), which is what keeps QoS 1 throughput high.

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SmogcastError } from '../core/errors.js';

export type JournalStream = 'raw' | 'errors';

export interface JournalEntry {
  stream: JournalStream;
  /** One JSON record without its newline (JSON.stringify never emits a raw newline). */
  line: string;
}

export interface ReplayedEntry extends JournalEntry {
  segment: number;
}

/**
 * `process`: written to the OS before the ack (survives a crash or SIGKILL of the runtime).
 * `machine`: also fdatasync'ed (survives a power loss), at the cost of one disk flush per batch.
 */
export type Durability = 'process' | 'machine';

export interface JournalOptions {
  dir: string;
  durability?: Durability;
  /** Start a new segment once the current one holds this many bytes. Default 16 MiB. */
  segmentBytes?: number;
}

export class JournalClosedError extends SmogcastError {
  constructor(options?: ErrorOptions) {
    super('the journal is closed', options);
    this.name = 'JournalClosedError';
  }
}

const SEGMENT = /^segment-(\d+)\.log$/;
const segmentName = (n: number) => `segment-${String(n).padStart(10, '0')}.log`;
const STREAM_TAG: Record<JournalStream, string> = { raw: 'r', errors: 'e' };

/** Complete entries of one segment's text; a torn last line (crash mid-write) was never acked. */
export const parseSegment = (text: string, segment: number): ReplayedEntry[] => {
  const entries: ReplayedEntry[] = [];
  const end = text.lastIndexOf('\n');
  if (end < 0) return entries;
  for (const line of text.slice(0, end).split('\n')) {
    const tag = line[0];
    if (tag === 'r') entries.push({ stream: 'raw', line: line.slice(1), segment });
    else if (tag === 'e') entries.push({ stream: 'errors', line: line.slice(1), segment });
  }
  return entries;
};

interface Pending {
  text: string;
  resolve: (segment: number) => void;
  reject: (error: unknown) => void;
}

export class Journal {
  private handle: FileHandle | undefined;
  private segment: number;
  private segmentSize = 0;
  /** Entries appended to a segment and not yet released, per segment. */
  private readonly outstanding = new Map<number, number>();
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly durability: Durability;
  private readonly segmentBytes: number;

  private constructor(
    private readonly dir: string,
    firstSegment: number,
    options: JournalOptions,
  ) {
    this.segment = firstSegment;
    this.durability = options.durability ?? 'machine';
    this.segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
  }

  /** Opens the journal and returns what a previous run left undelivered, oldest first. */
  static async open(
    options: JournalOptions,
  ): Promise<{ journal: Journal; replay: ReplayedEntry[] }> {
    await mkdir(options.dir, { recursive: true });
    const segments = (await readdir(options.dir))
      .map((name) => ({ name, match: SEGMENT.exec(name) }))
      .filter((s) => s.match !== null)
      .map((s) => ({ name: s.name, n: Number(s.match?.[1]) }))
      .sort((a, b) => a.n - b.n);
    const replay: ReplayedEntry[] = [];
    const journal = new Journal(options.dir, (segments.at(-1)?.n ?? 0) + 1, options);
    for (const { name, n } of segments) {
      const entries = parseSegment(await readFile(join(options.dir, name), 'utf8'), n);
      if (entries.length === 0) {
        await unlink(join(options.dir, name));
        continue;
      }
      journal.outstanding.set(n, entries.length);
      replay.push(...entries);
    }
    await journal.openSegment();
    return { journal, replay };
  }

  /** Resolves with the entry's segment once it is durable (per `durability`). */
  append(entry: JournalEntry): Promise<number> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ text: `${STREAM_TAG[entry.stream]}${entry.line}\n`, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Marks entries of `segment` as stored; a sealed segment with nothing left is deleted. */
  release(segment: number, count = 1): void {
    const left = (this.outstanding.get(segment) ?? 0) - count;
    if (left > 0) {
      this.outstanding.set(segment, left);
      return;
    }
    this.outstanding.delete(segment);
    if (segment !== this.segment) {
      void unlink(join(this.dir, segmentName(segment))).catch(() => {});
    } else if (this.segmentSize > 0 && this.writing === undefined && !this.closed) {
      // Everything written so far is stored: start afresh, so a crash now replays nothing.
      this.writing = this.rotate().then(
        () => this.afterWrite(),
        () => this.afterWrite(),
      );
    }
  }

  private afterWrite(): void {
    this.writing = undefined;
    if (this.queue.length > 0) this.writing = this.writeLoop();
  }

  /** Entries appended (or replayed) and not yet released. */
  get undelivered(): number {
    let total = 0;
    for (const count of this.outstanding.values()) total += count;
    return total;
  }

  /** Waits for pending appends, then closes the file (left on disk if anything is undelivered). */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
    if (!this.outstanding.has(this.segment)) {
      await unlink(join(this.dir, segmentName(this.segment))).catch(() => {});
    }
  }

  private async openSegment(): Promise<void> {
    this.handle = await open(join(this.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
  }

  private async rotate(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
    const sealed = this.segment;
    this.segment += 1;
    await this.openSegment();
    // Everything in the sealed segment may already be stored.
    if (!this.outstanding.has(sealed)) {
      await unlink(join(this.dir, segmentName(sealed))).catch(() => {});
    }
  }

  private async writeLoop(): Promise<void> {
    // Group commit: one write (+ flush) for everything queued since the previous one. Waiting
    // one turn first lets the broker hand over every publish of the socket chunk it is parsing.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.segmentSize >= this.segmentBytes) await this.rotate();
        const handle = this.handle;
        if (!handle) throw new JournalClosedError();
        const bytes = Buffer.from(batch.map((p) => p.text).join(''), 'utf8');
        await handle.write(bytes);
        if (this.durability === 'machine') await handle.datasync();
        this.segmentSize += bytes.byteLength;
        const segment = this.segment;
        this.outstanding.set(segment, (this.outstanding.get(segment) ?? 0) + batch.length);
        for (const pending of batch) pending.resolve(segment);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.writing = undefined;
  }
}
