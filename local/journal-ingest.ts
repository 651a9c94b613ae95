// The local ingest path behind the broker: topic rule → write-ahead journal → Firehose twins
// (raw/ for every message the rule turns into a record; errors/iot/ for the twin's own rule
// failures and the notices' samples) → the object store. What the rule cannot evaluate, as on
// AWS, is counted (a notice), not stored.
// `accept` resolves once the rule's output is journaled; the broker sends PUBACK only then, so
// an acknowledged reading survives a crash of the runtime (replayed from the journal on start).
// Each Firehose batch tells the journal which entries it carries before its PUT and after it, so
// a restart replays only entries no stored object holds.
import type { ObjectStore } from '../core/ports.js';
import { LocalFirehose } from './firehose.js';
import { applyTelemetryRule, type RuleOutcome } from './iot-rule.js';
import { bodyDigest, type Durability, type EntryId, Journal } from './journal.js';
import type { IngestCounts } from './journal-counters.js';
import { NoticeSampler, noticeRecord, type ProtocolNotice } from './protocol-notices.js';

export interface JournalIngestOptions {
  store: ObjectStore;
  journalDir: string;
  durability?: Durability;
  /** Firehose buffering hints. */
  bufferBytes: number;
  bufferIntervalMs: number;
  /** How long close() keeps delivering what is journaled before it gives up. Default 4 s. */
  closeTimeoutMs?: number;
  now?: () => number;
  /** Called for every record the rule produced (after it is journaled). */
  onOutcome?: (
    topic: string,
    outcome: Exclude<RuleOutcome, { kind: 'ignored' } | { kind: 'dropped' }>,
  ) => void;
  onStored?: (stream: 'raw' | 'errors', records: number) => void;
  /** Called for every protocol notice (refused, unmatched or unparsed), sampled or not. */
  onNotice?: (notice: ProtocolNotice) => void;
  onDeliveryError?: (error: unknown) => void;
}

export interface JournalIngest {
  /** Rule + journal; resolves when the outcome is durable. Never rejects for bad input. */
  accept(topic: string, payload: Uint8Array, clientId?: string): Promise<void>;
  /**
   * Counts a notice durably (in the journal) and journals its sample to errors/ when the sampler
   * allows; resolves once both are durable.
   */
  notice(notice: ProtocolNotice): Promise<void>;
  /** Entries replayed from a previous run at open. */
  readonly replayed: number;
  /** Delivers everything buffered (including replayed entries). */
  flush(): Promise<void>;
  /** Records journaled but not yet stored. */
  undelivered(): number;
  /** Received, stored, refused, unmatched and unparsed totals over every run on this journal. */
  counts(): IngestCounts;
  /**
   * Stops accepting, delivers everything journaled (bounded by closeTimeoutMs), then closes;
   * what could not be stored stays in the journal for the next start.
   */
  close(): Promise<void>;
}

export const RAW_STREAM = 'smogcast-raw';
export const ERRORS_STREAM = 'smogcast-errors';
export const ERRORS_IOT_PREFIX = 'errors/iot/';

const sleep = (ms: number) =>
  new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());

export const openJournalIngest = async (options: JournalIngestOptions): Promise<JournalIngest> => {
  const now = options.now ?? Date.now;
  const { store } = options;
  const { journal, replay } = await Journal.open({
    dir: options.journalDir,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
    // A batch whose PUT a crash interrupted counts as stored only if the object is there, whole.
    confirm: async (intent) => {
      const bytes = await store.get(intent.key);
      return bytes !== undefined && bodyDigest(bytes) === intent.digest;
    },
  });
  const firehose = (
    stream: 'raw' | 'errors',
    streamName: string,
    prefix: string,
    compression: 'GZIP' | 'UNCOMPRESSED',
  ) =>
    new LocalFirehose<EntryId>({
      store,
      streamName,
      prefix,
      compression,
      bufferBytes: options.bufferBytes,
      bufferIntervalMs: options.bufferIntervalMs,
      now,
      ...(options.onDeliveryError ? { onError: options.onDeliveryError } : {}),
      beforeDeliver: (key, body, ids) => journal.intend(key, body, ids),
      onAbandoned: (key) => journal.abandon(key),
      onDelivered: (key, records, ids) => {
        journal.delivered(key, stream, ids);
        options.onStored?.(stream, records);
      },
    });
  const streams = {
    // raw/ as the delivery stream writes it (CompressionFormat GZIP); errors/iot/ as the rule's
    // error action does (plain).
    raw: firehose('raw', RAW_STREAM, 'raw/', 'GZIP'),
    errors: firehose('errors', ERRORS_STREAM, ERRORS_IOT_PREFIX, 'UNCOMPRESSED'),
  };
  for (const entry of replay) streams[entry.stream].put(entry.line, entry.id);

  const accepting = new Set<Promise<void>>();
  const flush = async () => {
    await Promise.all([streams.raw.flush(), streams.errors.flush()]);
  };
  const deliverAll = async () => {
    await Promise.allSettled([...accepting]);
    // A batch the store refused goes back into the buffer: flush again until nothing is left.
    while (journal.undelivered > 0) {
      await flush();
      if (streams.raw.buffered + streams.errors.buffered === 0) break;
    }
  };

  const sampler = new NoticeSampler();
  const notice = async (n: ProtocolNotice) => {
    options.onNotice?.(n);
    const counted = journal.count(n.kind);
    const at = now();
    if (!sampler.allow(n.kind, at)) return counted;
    const line = noticeRecord(n, at);
    const [, id] = await Promise.all([counted, journal.append({ stream: 'errors', line })]);
    streams.errors.put(line, id);
  };

  return {
    replayed: replay.length,
    notice,
    accept: (topic, payload, clientId) => {
      const outcome = applyTelemetryRule(topic, payload, now());
      if (outcome.kind === 'ignored' || outcome.kind === 'dropped') {
        // IoT Core stores nothing (no rule runs, or the rule cannot evaluate the payload); here
        // it is counted and sampled, as its RuleNotFound / ParseError metrics count it.
        return notice({
          kind:
            outcome.kind === 'ignored'
              ? 'unmatched'
              : outcome.code === 'ParseError'
                ? 'unparsed'
                : 'refused',
          clientId,
          topic,
          size: payload.byteLength,
          head: payload.subarray(0, 64),
          reason: outcome.reason,
        });
      }
      const stream = outcome.kind === 'record' ? 'raw' : 'errors';
      const work = journal.append({ stream, line: outcome.line }).then((id) => {
        streams[stream].put(outcome.line, id);
        options.onOutcome?.(topic, outcome);
        // Flow control: while the store is behind, the acknowledgement waits (it is durable
        // already), so publishers slow down instead of the backlog growing in memory.
        return streams[stream].room();
      });
      accepting.add(work);
      void work.finally(() => accepting.delete(work)).catch(() => undefined);
      return work;
    },
    flush,
    undelivered: () => journal.undelivered,
    counts: () => journal.counts,
    close: async () => {
      await Promise.race([deliverAll(), sleep(options.closeTimeoutMs ?? 4_000)]);
      streams.raw.close();
      streams.errors.close();
      await journal.close().catch(() => undefined);
    },
  };
};
