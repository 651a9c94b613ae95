// Test harness of the ingest path with real parts: the S3-compatible server behind the AWS SDK,
// the journal-backed rule + Firehose twins, the embedded broker; and readers of what landed.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawObjectText } from '../../../core/raw-object.js';
import { splitLines } from '../../../core/text.js';
import { S3ObjectStore } from '../../../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../../../functions/common/deps.js';
import { type LocalBroker, startBroker } from '../../../local/broker.js';
import { type JournalIngest, openJournalIngest } from '../../../local/journal-ingest.js';
import type { RefusedPacket } from '../../../local/mqtt-packet-gate.js';
import { startObjectStoreServer } from '../../../local/object-store-server.js';
import { teardown } from '../teardown.js';

export const s3Store = (url: string, bucket = 'smogcast-lake') =>
  new S3ObjectStore(createLocalS3Client(url), bucket);

/** Every line of every object under the prefix as stored (raw/ objects are gzip). */
export const readTextLines = async (store: S3ObjectStore, prefix: string): Promise<string[]> => {
  const lines = [];
  for (const key of await store.list(prefix)) {
    const bytes = await store.get(key);
    if (bytes) lines.push(...splitLines(rawObjectText(bytes)));
  }
  return lines;
};

/** Every JSON line of every object under the prefix (raw/ objects are gzip). */
// biome-ignore lint/suspicious/noExplicitAny: records are asserted field by field.
export const readLines = async (store: S3ObjectStore, prefix: string): Promise<any[]> => {
  const records = [];
  for (const key of await store.list(prefix)) {
    const bytes = await store.get(key);
    if (bytes) for (const line of splitLines(rawObjectText(bytes))) records.push(JSON.parse(line));
  }
  return records;
};

export interface IngestHarness {
  dir: string;
  store: S3ObjectStore;
  ingest: JournalIngest;
  broker: LocalBroker;
  /** Closes the broker and starts a new one on the same port (a broker restart). */
  restartBroker(downMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface IngestHarnessOptions {
  /** The broker's message size limit (default IoT Core's 128 KiB). */
  maxMessageBytes?: number;
}

export const startIngestHarness = async (
  options: IngestHarnessOptions = {},
): Promise<IngestHarness> => {
  const dir = await mkdtemp(join(tmpdir(), 'smogcast-ingest-'));
  let s3: Awaited<ReturnType<typeof startObjectStoreServer>> | undefined;
  let ingest: JournalIngest | undefined;
  try {
    s3 = await startObjectStoreServer({ directory: join(dir, 's3'), bucket: 'smogcast-lake' });
    const store = s3Store(s3.url);
    ingest = await openJournalIngest({
      store,
      journalDir: join(dir, 'journal'),
      bufferBytes: 256 * 1024,
      bufferIntervalMs: 200,
    });
    const opened = { s3, ingest };
    const brokerOptions = {
      onPublish: ingest.accept,
      onRefused: (refusal: RefusedPacket) =>
        void opened.ingest.notice({ kind: 'refused', ...refusal }),
      ...(options.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: options.maxMessageBytes }),
    };
    const harness: IngestHarness = {
      dir,
      store,
      ingest,
      broker: await startBroker(brokerOptions),
      restartBroker: async (downMs) => {
        const { port } = harness.broker;
        await harness.broker.close();
        await new Promise((resolve) => setTimeout(resolve, downMs));
        harness.broker = await startBroker({ ...brokerOptions, port });
      },
      close: () =>
        teardown(
          [dir],
          () => harness.broker.close(),
          () => opened.ingest.close(),
          () => opened.s3.close(),
        ),
    };
    return harness;
  } catch (error) {
    // A harness that failed half-way is closed here: its caller never gets one to close.
    await teardown(
      [dir],
      () => ingest?.close(),
      () => s3?.close(),
    );
    throw error;
  }
};
