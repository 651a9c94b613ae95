// Which journal entries Firehose has stored, kept beside the journal so that a restart replays
// only what was not delivered (not whole segments). One line per event, appended:
//   P <key> <sha256> <ids>   before a batch's PUT: the object key, its body's digest, its entries
//   D <key>                  after the PUT succeeded
//   A <ids>                  entries known delivered (what a compaction keeps)
// `<ids>` lists entries as `segment:first-last` ranges, comma-separated. The intent (P) is made
// durable before the PUT; D is not waited for: on open, a P without D is settled by reading the
// object back and comparing its digest — a batch stored just before a crash is not replayed, and
// a batch cut short (or never written) is. Compaction rewrites the file atomically.
import type { FileHandle } from 'node:fs/promises';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface EntryId {
  segment: number;
  /** Line number of the entry in its segment, from 0. */
  index: number;
}

export const DELIVERY_LOG = 'deliveries.log';

/** `3:0-4,3:7,5:0-1`: ids grouped by segment, consecutive indexes merged. */
export const formatIds = (ids: readonly EntryId[]): string => {
  const sorted = [...ids].sort((a, b) => a.segment - b.segment || a.index - b.index);
  const ranges: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i] as EntryId;
    let last = first;
    while (i + 1 < sorted.length) {
      const next = sorted[i + 1] as EntryId;
      if (next.segment !== last.segment || next.index > last.index + 1) break;
      last = next;
      i++;
    }
    ranges.push(
      last.index === first.index
        ? `${first.segment}:${first.index}`
        : `${first.segment}:${first.index}-${last.index}`,
    );
    i++;
  }
  return ranges.join(',');
};

const RANGE = /^(\d+):(\d+)(?:-(\d+))?$/;

/** The ids `formatIds` wrote; undefined for text it cannot have written. */
export const parseIds = (text: string): EntryId[] | undefined => {
  if (text === '') return [];
  const ids: EntryId[] = [];
  for (const range of text.split(',')) {
    const match = RANGE.exec(range);
    if (!match) return undefined;
    const segment = Number(match[1]);
    const first = Number(match[2]);
    const last = match[3] === undefined ? first : Number(match[3]);
    if (last < first) return undefined;
    for (let index = first; index <= last; index++) ids.push({ segment, index });
  }
  return ids;
};

export interface Intent {
  key: string;
  digest: string;
  ids: EntryId[];
}

export interface DeliveryLogState {
  /** Entries the log records as delivered. */
  delivered: EntryId[];
  /** Batches whose PUT was started and not recorded as done: stored or not, the store tells. */
  pending: Intent[];
}

/** What a log's text says; a torn last line (crash mid-append) and unknown lines are ignored. */
export const parseDeliveryLog = (text: string): DeliveryLogState => {
  const delivered: EntryId[] = [];
  const intents = new Map<string, Intent>();
  const end = text.lastIndexOf('\n');
  for (const line of end < 0 ? [] : text.slice(0, end).split('\n')) {
    const [kind, ...fields] = line.split(' ');
    if (kind === 'P' && fields.length === 3) {
      const ids = parseIds(fields[2] as string);
      if (ids)
        intents.set(fields[0] as string, {
          key: fields[0] as string,
          digest: fields[1] as string,
          ids,
        });
    } else if (kind === 'D' && fields.length === 1) {
      const intent = intents.get(fields[0] as string);
      if (intent) {
        delivered.push(...intent.ids);
        intents.delete(intent.key);
      }
    } else if (kind === 'A' && fields.length === 1) {
      delivered.push(...(parseIds(fields[0] as string) ?? []));
    }
  }
  return { delivered, pending: [...intents.values()] };
};

export class DeliveryLog {
  private handle: FileHandle | undefined;
  private tail: Promise<void> = Promise.resolve();
  private bytes = 0;

  private constructor(
    private readonly path: string,
    private readonly sync: boolean,
  ) {}

  static async read(dir: string): Promise<DeliveryLogState> {
    try {
      return parseDeliveryLog(await readFile(join(dir, DELIVERY_LOG), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { delivered: [], pending: [] };
      throw error;
    }
  }

  /** Starts a fresh log holding `delivered` (what the previous one established), atomically. */
  static async create(
    dir: string,
    delivered: readonly EntryId[],
    sync: boolean,
  ): Promise<DeliveryLog> {
    const log = new DeliveryLog(join(dir, DELIVERY_LOG), sync);
    await log.rewrite(delivered, []);
    return log;
  }

  /** Size of the file: the journal compacts it once it has grown. */
  get size(): number {
    return this.bytes;
  }

  /** Durable (per the journal's durability) before it resolves: call before the PUT. */
  intend(intent: Intent): Promise<void> {
    return this.append(`P ${intent.key} ${intent.digest} ${formatIds(intent.ids)}\n`, this.sync);
  }

  /** The PUT succeeded; not flushed to disk (recovery reads the object back instead). */
  done(key: string): Promise<void> {
    return this.append(`D ${key}\n`, false);
  }

  /** Replaces the file by one holding only `delivered` and the still-open intents. */
  compact(delivered: readonly EntryId[], intents: readonly Intent[]): Promise<void> {
    return this.serially(() => this.rewrite(delivered, intents));
  }

  async close(): Promise<void> {
    await this.serially(async () => {
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  private append(text: string, sync: boolean): Promise<void> {
    return this.serially(async () => {
      const handle = this.handle;
      if (!handle) throw new Error('the delivery log is closed');
      const bytes = Buffer.from(text, 'utf8');
      await handle.write(bytes);
      if (sync) await handle.datasync();
      this.bytes += bytes.byteLength;
    });
  }

  private async rewrite(delivered: readonly EntryId[], intents: readonly Intent[]): Promise<void> {
    const lines = [
      ...(delivered.length > 0 ? [`A ${formatIds(delivered)}\n`] : []),
      ...intents.map((i) => `P ${i.key} ${i.digest} ${formatIds(i.ids)}\n`),
    ].join('');
    const temporary = `${this.path}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.write(lines);
      await file.datasync();
    } finally {
      await file.close();
    }
    await this.handle?.close();
    await rename(temporary, this.path);
    this.handle = await open(this.path, 'a');
    this.bytes = Buffer.byteLength(lines);
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const next = this.tail.then(work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
