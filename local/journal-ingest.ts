// The local ingest path behind the broker: topic rule → write-ahead journal → Firehose twins
// (raw/ for valid readings, errors/iot/ for everything the rule rejects) → the object store.
// `accept` resolves once the rule's output is journaled; the broker sends PUBACK only then, so
// an acknowledged reading survives a crash of the runtime (replayed from the journal on start).
import type { ObjectStore } from '../core/ports.js';
import { LocalFirehose } from './firehose.js';
import { applyTelemetryRule, type RuleOutcome } from './iot-rule.js';
import { type Durability, Journal } from './journal.js';
import { NoticeSampler, noticeRecord, type ProtocolNotice } from './protocol-notices.js';

export interface JournalIngestOptions {
  store: ObjectStore;
  journalDir: string;
  durability?: Durability;
  /** Firehose buffering hints. */
  bufferBytes: number;
  bufferIntervalMs: number;
  now?: () => number;
  /** Called for every message the rule selected (after it is journaled). */
  onOutcome?: (topic: string, outcome: Exclude<RuleOutcome, { kind: 'ignored' }>) => void;
  onStored?: (stream: 'raw' | 'errors', records: number) => void;
  /** Called for every protocol notice (refused packet, unmatched topic), sampled or not. */
  onNotice?: (notice: ProtocolNotice) => void;
  onDeliveryError?: (error: unknown) => void;
}

export interface JournalIngest {
  /** Rule + journal; resolves when the outcome is durable. Never rejects for bad input. */
  accept(topic: string, payload: Uint8Array, clientId?: string): Promise<void>;
  /** Counts a notice and journals its sample to errors/ when the sampler allows. */
  notice(notice: ProtocolNotice): Promise<void>;
  /** Entries replayed from a previous run at open. */
  readonly replayed: number;
  /** Delivers everything buffered (including replayed entries). */
  flush(): Promise<void>;
  /** Records journaled but not yet stored. */
  undelivered(): number;
  close(): Promise<void>;
}

export const RAW_STREAM = 'smogcast-raw';
export const ERRORS_STREAM = 'smogcast-errors';
export const ERRORS_IOT_PREFIX = 'errors/iot/';

export const openJournalIngest = async (options: JournalIngestOptions): Promise<JournalIngest> => {
  const now = options.now ?? Date.now;
  const { journal, replay } = await Journal.open({
    dir: options.journalDir,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
  });
  const firehose = (stream: 'raw' | 'errors', streamName: string, prefix: string) =>
    new LocalFirehose({
      store: options.store,
      streamName,
      prefix,
      bufferBytes: options.bufferBytes,
      bufferIntervalMs: options.bufferIntervalMs,
      now,
      ...(options.onDeliveryError ? { onError: options.onDeliveryError } : {}),
      onDelivered: (_key, records, segments) => {
        // Released only once stored: a crash before this point replays the batch.
        let run = 0;
        for (let i = 0; i < segments.length; i++) {
          run++;
          if (segments[i] !== segments[i + 1]) {
            journal.release(segments[i] as number, run);
            run = 0;
          }
        }
        options.onStored?.(stream, records);
      },
    });
  const streams = {
    raw: firehose('raw', RAW_STREAM, 'raw/'),
    errors: firehose('errors', ERRORS_STREAM, ERRORS_IOT_PREFIX),
  };
  for (const entry of replay) streams[entry.stream].put(entry.line, entry.segment);

  const sampler = new NoticeSampler();
  const notice = async (n: ProtocolNotice) => {
    options.onNotice?.(n);
    const at = now();
    if (!sampler.allow(n.kind, at)) return;
    const line = noticeRecord(n, at);
    const segment = await journal.append({ stream: 'errors', line });
    streams.errors.put(line, segment);
  };

  return {
    replayed: replay.length,
    notice,
    accept: async (topic, payload, clientId) => {
      const outcome = applyTelemetryRule(topic, payload, now());
      if (outcome.kind === 'ignored') {
        // IoT Core drops it (no rule selects the topic); here it is counted and sampled.
        await notice({
          kind: 'unmatched',
          clientId,
          topic,
          size: payload.byteLength,
          head: payload.subarray(0, 64),
          reason: `no rule selects topic ${topic}`,
        });
        return;
      }
      const stream = outcome.kind === 'record' ? 'raw' : 'errors';
      const segment = await journal.append({ stream, line: outcome.line });
      streams[stream].put(outcome.line, segment);
      options.onOutcome?.(topic, outcome);
    },
    flush: async () => {
      await Promise.all([streams.raw.flush(), streams.errors.flush()]);
    },
    undelivered: () => journal.undelivered,
    close: async () => {
      await Promise.all([streams.raw.flush(), streams.errors.flush()]);
      // What could not be stored stays in the journal for the next start.
      await journal.close().catch(() => undefined);
    },
  };
};
