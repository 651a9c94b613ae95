// Write-ahead journal of the local ingest path: what the rule produced is appended here before
// the broker acknowledges the publish (PUBACK), and forgotten only once Firehose has stored it.
// After a crash the runtime replays what is left, so an acknowledged reading is never lost.
// Delivery is tracked per entry (delivery-log.ts), so a restart replays only entries no stored
// object holds — not whole segments — and the ingest counters (journal-counters.ts) are as
// durable as the journal itself.
//
// Layout: <dir>/segment-<n>.log, one entry per line, `r<json>` (raw/) or `e<json>` (errors/),
// or a counted protocol notice `nrefused` / `nunmatched` / `nunparsed` (nothing to deliver);
// <dir>/deliveries.log; <dir>/counters.json. An entry is named by its segment and line number.
// Appends are group-committed: every entry arriving while a write is in progress goes into the
// next single write (+ fdatasync), which is what keeps QoS 1 throughput high.

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SmogcastError } from '../core/errors.js';
import { DeliveryLog, type EntryId, type Intent } from './delivery-log.js';
import {
  type CountsCheckpoint,
  type IngestCounts,
  readCheckpoint,
  writeCheckpoint,
} from './journal-counters.js';

export type { EntryId } from './delivery-log.js';

export type JournalStream = 'raw' | 'errors';

export interface JournalEntry {
  stream: JournalStream;
  /** One JSON record without its newline (JSON.stringify never emits a raw newline). */
  line: string;
}

/** A protocol event only counted (durably) by the journal: nothing is delivered for it. */
export type JournalNotice = 'refused' | 'unmatched' | 'unparsed';
const NOTICES: readonly JournalNotice[] = ['refused', 'unmatched', 'unparsed'];

export interface ReplayedEntry extends JournalEntry {
  id: EntryId;
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
  /** Rewrite the delivery log once it holds this many bytes. Default 1 MiB. */
  compactBytes?: number;
  /**
   * Settles a batch whose PUT a crash interrupted: true when its object is stored, whole (the
   * body's sha256 is `intent.digest`). Without it such a batch is replayed.
   */
  confirm?: (intent: Intent) => Promise<boolean>;
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

/**
 * Complete entries of one segment's text, each named by its line number; a torn last line
 * (crash mid-write) was never acked.
 */
export const parseSegment = (text: string, segment: number): ReplayedEntry[] => {
  const entries: ReplayedEntry[] = [];
  const end = text.lastIndexOf('\n');
  if (end < 0) return entries;
  text
    .slice(0, end)
    .split('\n')
    .forEach((line, index) => {
      const tag = line[0];
      const id = { segment, index };
      if (tag === 'r') entries.push({ stream: 'raw', line: line.slice(1), id });
      else if (tag === 'e') entries.push({ stream: 'errors', line: line.slice(1), id });
    });
  return entries;
};

/** How many complete notice lines one segment's text holds, per kind. */
export const countSegmentNotices = (text: string): Record<JournalNotice, number> => {
  const counts = { refused: 0, unmatched: 0, unparsed: 0 };
  const end = text.lastIndexOf('\n');
  if (end < 0) return counts;
  for (const line of text.slice(0, end).split('\n')) {
    if (line[0] !== 'n') continue;
    const kind = line.slice(1) as JournalNotice;
    if (NOTICES.includes(kind)) counts[kind] += 1;
  }
  return counts;
};

/** sha256 of a batch's body as it is PUT (text) or read back (bytes): the same for the same bytes. */
export const bodyDigest = (body: string | Uint8Array): string =>
  createHash('sha256').update(body).digest('hex');

/** What the journal knows of one segment file. */
interface SegmentState {
  /** Line number the next append gets. */
  next: number;
  received: number;
  /** Entries not stored yet. */
  pending: number;
  delivered: Set<number>;
  stored: number;
  errors: number;
  refused: number;
  unmatched: number;
  unparsed: number;
}

const emptySegment = (): SegmentState => ({
  next: 0,
  received: 0,
  pending: 0,
  delivered: new Set(),
  stored: 0,
  errors: 0,
  refused: 0,
  unmatched: 0,
  unparsed: 0,
});

interface Pending {
  text: string;
  /** Set for a notice: counted, not delivered. */
  notice?: JournalNotice;
  resolve: (id: EntryId) => void;
  reject: (error: unknown) => void;
}

const idKey = (id: EntryId) => `${id.segment}:${id.index}`;

export class Journal {
  private handle: FileHandle | undefined;
  private segment: number;
  private segmentSize = 0;
  /** A write failed part-way: the segment's tail is unknown, so the next batch starts a new one. */
  private mustRotate = false;
  private readonly live = new Map<number, SegmentState>();
  /** Batches whose PUT is under way. */
  private readonly inflight = new Map<string, Intent>();
  private log: DeliveryLog | undefined;
  private housekeeping: Promise<void> = Promise.resolve();
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly durability: Durability;
  private readonly segmentBytes: number;
  private readonly compactBytes: number;

  private constructor(
    private readonly dir: string,
    firstSegment: number,
    options: JournalOptions,
    private checkpoint: CountsCheckpoint,
  ) {
    this.segment = firstSegment;
    this.durability = options.durability ?? 'machine';
    this.segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
    this.compactBytes = options.compactBytes ?? 1024 * 1024;
  }

  /** Opens the journal and returns what a previous run left undelivered, oldest first. */
  static async open(
    options: JournalOptions,
  ): Promise<{ journal: Journal; replay: ReplayedEntry[] }> {
    const { dir } = options;
    await mkdir(dir, { recursive: true });
    const checkpoint = await readCheckpoint(dir);
    const logged = await DeliveryLog.read(dir);
    const delivered = new Set(logged.delivered.map(idKey));
    for (const intent of logged.pending) {
      if (await options.confirm?.(intent).catch(() => false)) {
        for (const id of intent.ids) delivered.add(idKey(id));
      }
    }
    const segments = (await readdir(dir))
      .map((name) => ({ name, match: SEGMENT.exec(name) }))
      .filter((s) => s.match !== null)
      .map((s) => ({ name: s.name, n: Number(s.match?.[1]) }))
      .sort((a, b) => a.n - b.n);
    const last = Math.max(segments.at(-1)?.n ?? 0, checkpoint.through);
    const journal = new Journal(dir, last + 1, options, checkpoint);
    const replay: ReplayedEntry[] = [];
    for (const { name, n } of segments) {
      const path = join(dir, name);
      // Folded into the counters before a crash cut its deletion short: already counted.
      if (n <= checkpoint.through) {
        await unlink(path);
        continue;
      }
      const text = await readFile(path, 'utf8');
      const entries = parseSegment(text, n);
      const notices = countSegmentNotices(text);
      if (entries.length === 0 && notices.refused + notices.unmatched + notices.unparsed === 0) {
        await unlink(path);
        continue;
      }
      const state = { ...emptySegment(), ...notices };
      for (const entry of entries) {
        state.received += 1;
        if (delivered.has(idKey(entry.id))) {
          state.delivered.add(entry.id.index);
          if (entry.stream === 'raw') state.stored += 1;
          else state.errors += 1;
        } else {
          state.pending += 1;
          replay.push(entry);
        }
      }
      journal.live.set(n, state);
    }
    journal.log = await DeliveryLog.create(dir, journal.deliveredIds(), journal.sync);
    await journal.fold(false);
    await journal.openSegment();
    return { journal, replay };
  }

  /** Resolves with the entry's id once it is durable (per `durability`). */
  append(entry: JournalEntry): Promise<EntryId> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ text: `${STREAM_TAG[entry.stream]}${entry.line}\n`, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Counts one protocol notice; resolves once the count is durable (per `durability`). */
  count(notice: JournalNotice): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError());
    return new Promise((resolve, reject) => {
      this.queue.push({ text: `n${notice}\n`, notice, resolve: () => resolve(), reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Before the PUT of a batch: names the object and the entries it holds, durably. */
  async intend(key: string, body: string | Uint8Array, ids: readonly EntryId[]): Promise<void> {
    const log = this.log;
    if (!log || this.closed) throw new JournalClosedError();
    const intent = { key, digest: bodyDigest(body), ids: [...ids] };
    this.inflight.set(key, intent);
    await log.intend(intent);
  }

  /** The PUT of `key` was given up: its entries will travel in another batch. */
  abandon(key: string): void {
    this.inflight.delete(key);
  }

  /** The PUT of `key` succeeded: its entries are stored and will not be replayed. */
  delivered(key: string, stream: JournalStream, ids: readonly EntryId[]): void {
    this.inflight.delete(key);
    for (const id of ids) {
      const state = this.live.get(id.segment);
      if (!state || state.delivered.has(id.index)) continue;
      state.delivered.add(id.index);
      state.pending -= 1;
      if (stream === 'raw') state.stored += 1;
      else state.errors += 1;
    }
    // Not awaited: until the line is written, recovery reads the object back (see intend).
    void this.log?.done(key).catch(() => undefined);
    const current = this.live.get(this.segment);
    if (current?.pending === 0 && this.segmentSize > 0 && !this.writing && !this.closed) {
      // Everything written so far is stored: start afresh, so the stored segment can go.
      this.writing = this.rotate().then(
        () => this.afterWrite(),
        () => this.afterWrite(),
      );
    }
    this.scheduleFold(false);
  }

  /** Entries appended (or replayed) and not yet stored. */
  get undelivered(): number {
    let total = 0;
    for (const state of this.live.values()) total += state.pending;
    return total;
  }

  /** Totals over the journal's whole life, restarts included. */
  get counts(): IngestCounts {
    const counts = {
      received: this.checkpoint.received,
      stored: this.checkpoint.stored,
      errors: this.checkpoint.errors,
      refused: this.checkpoint.refused,
      unmatched: this.checkpoint.unmatched,
      unparsed: this.checkpoint.unparsed,
    };
    for (const state of this.live.values()) {
      counts.received += state.received;
      counts.stored += state.stored;
      counts.errors += state.errors;
      counts.refused += state.refused;
      counts.unmatched += state.unmatched;
      counts.unparsed += state.unparsed;
    }
    return counts;
  }

  /** Waits for pending appends, then closes (what is undelivered stays for the next open). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
    this.scheduleFold(true);
    await this.housekeeping;
    await this.log?.close();
  }

  private get sync(): boolean {
    return this.durability === 'machine';
  }

  private deliveredIds(): EntryId[] {
    const ids: EntryId[] = [];
    for (const [segment, state] of this.live) {
      for (const index of state.delivered) ids.push({ segment, index });
    }
    return ids;
  }

  private scheduleFold(includingCurrent: boolean): void {
    this.housekeeping = this.housekeeping
      .then(() => this.fold(includingCurrent))
      .catch(() => undefined);
  }

  /**
   * Moves the counts of fully stored segments into the checkpoint, oldest first, and deletes
   * them; in order, so that `through` alone says which segments are counted.
   */
  private async fold(includingCurrent: boolean): Promise<void> {
    let folded = false;
    for (;;) {
      const lowest = Math.min(...this.live.keys());
      const state = this.live.get(lowest);
      if (!state || state.pending > 0) break;
      if (lowest === this.segment && !includingCurrent) break;
      this.checkpoint = {
        through: lowest,
        received: this.checkpoint.received + state.received,
        stored: this.checkpoint.stored + state.stored,
        errors: this.checkpoint.errors + state.errors,
        refused: this.checkpoint.refused + state.refused,
        unmatched: this.checkpoint.unmatched + state.unmatched,
        unparsed: this.checkpoint.unparsed + state.unparsed,
      };
      this.live.delete(lowest);
      await writeCheckpoint(this.dir, this.checkpoint);
      await unlink(join(this.dir, segmentName(lowest))).catch(() => undefined);
      folded = true;
    }
    const log = this.log;
    if (!folded || !log) return;
    if ((this.undelivered === 0 && this.inflight.size === 0) || log.size > this.compactBytes) {
      await log.compact(this.deliveredIds(), [...this.inflight.values()]);
    }
  }

  private afterWrite(): void {
    this.writing = undefined;
    if (this.queue.length > 0) this.writing = this.writeLoop();
  }

  private async openSegment(): Promise<void> {
    this.handle = await open(join(this.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
    this.mustRotate = false;
    this.live.set(this.segment, emptySegment());
  }

  private async rotate(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
    this.segment += 1;
    await this.openSegment();
    // Everything in the sealed segment may already be stored.
    this.scheduleFold(false);
  }

  private async writeLoop(): Promise<void> {
    // Group commit: one write (+ flush) for everything queued since the previous one. Waiting
    // one turn first lets the broker hand over every publish of the socket chunk it is parsing.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.mustRotate || this.segmentSize >= this.segmentBytes) await this.rotate();
        const handle = this.handle;
        const state = this.live.get(this.segment);
        if (!handle || !state) throw new JournalClosedError();
        const bytes = Buffer.from(batch.map((p) => p.text).join(''), 'utf8');
        try {
          await handle.write(bytes);
          if (this.sync) await handle.datasync();
        } catch (error) {
          this.mustRotate = true;
          throw error;
        }
        this.segmentSize += bytes.byteLength;
        const segment = this.segment;
        for (const pending of batch) {
          // A notice takes a line (ids are line numbers) but is only counted.
          if (pending.notice) state[pending.notice] += 1;
          else {
            state.received += 1;
            state.pending += 1;
          }
          pending.resolve({ segment, index: state.next++ });
        }
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.writing = undefined;
  }
}
