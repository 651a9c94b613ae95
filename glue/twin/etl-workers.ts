// The ETL's CPU-heavy step, parsing raw objects (~70% of its CPU), on worker threads
// (parallelism > 1) or inline (1). The calling thread keeps the I/O, the bookkeeping and the
// partition merges, so on a 2-core machine parsing, merging and reading overlap.
import { Worker } from 'node:worker_threads';
import type { CuratedBatch } from '../../core/curated/batch.js';
import { SmogcastError } from '../../core/errors.js';
import { type MergedPartition, mergePartition } from './merge-partition.js';
import {
  fromTransferable,
  type ParsedObject,
  parseRawBytes,
  type TransferableParsed,
} from './parse-object.js';

export class EtlWorkerError extends SmogcastError {
  override readonly name = 'EtlWorkerError';
}

export interface EtlWorkers {
  parse(bytes: Uint8Array, now: number): Promise<ParsedObject>;
  merge(existing: Uint8Array[], incoming: CuratedBatch): Promise<MergedPartition>;
  close(): Promise<void>;
}

export interface EtlWorkerRequest {
  id: number;
  bytes: Uint8Array;
  now: number;
}

export type EtlWorkerReply =
  | { id: number; parsed: TransferableParsed }
  | { id: number; error: string };

const inline = (): EtlWorkers => ({
  parse: async (bytes, now) => parseRawBytes(bytes, now),
  merge: (existing, incoming) => mergePartition(existing, incoming),
  close: async () => {},
});

/** The worker entry beside this module: .ts when run from source (tsx), .js when compiled. */
const workerUrl = (): URL =>
  new URL(import.meta.url.endsWith('.ts') ? './etl-worker.ts' : './etl-worker.js', import.meta.url);

/**
 * Parsing allocates one short-lived object per line; a young generation larger than V8's
 * default (16 MiB) lets those die in place instead of being copied (GC was ~15% of a worker).
 */
const WORKER_OPTIONS = { resourceLimits: { maxYoungGenerationSizeMb: 32 } };

const startWorker = (): Worker => {
  const url = workerUrl();
  if (!url.pathname.endsWith('.ts')) return new Worker(url, WORKER_OPTIONS);
  // From source the worker needs tsx's loader, and Node 20 applies neither the parent's hooks
  // nor --import to a worker's entry module: register tsx first, then import the entry.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(
    `import(${tsx}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`,
    { ...WORKER_OPTIONS, eval: true },
  );
};

interface Pending {
  resolve: (reply: EtlWorkerReply) => void;
  reject: (error: Error) => void;
}

export const createEtlWorkers = (parallelism: number): EtlWorkers => {
  if (parallelism <= 1) return inline();
  const pending = new Map<number, Pending>();
  // Pull-based: a worker takes the next task only when it is idle, so a long merge on one
  // worker never holds up the parse tasks the other could run meanwhile.
  const queue: Array<{ request: EtlWorkerRequest; transfer: ArrayBuffer[] }> = [];
  const idle: Worker[] = [];
  let nextId = 0;
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop() as Worker;
      const task = queue.shift() as (typeof queue)[number];
      worker.postMessage(task.request, task.transfer);
    }
  };
  const workers = Array.from({ length: parallelism }, () => {
    const worker = startWorker();
    idle.push(worker);
    worker.on('message', (reply: EtlWorkerReply) => {
      idle.push(worker);
      dispatch();
      const entry = pending.get(reply.id);
      pending.delete(reply.id);
      if (!entry) return;
      if ('error' in reply) entry.reject(new EtlWorkerError(reply.error));
      else entry.resolve(reply);
    });
    worker.on('error', (error) => {
      for (const entry of pending.values()) {
        entry.reject(new EtlWorkerError('ETL worker crashed', { cause: error }));
      }
      pending.clear();
    });
    return worker;
  });

  const send = (request: EtlWorkerRequest, transfer: ArrayBuffer[]): Promise<EtlWorkerReply> =>
    new Promise((resolve, reject) => {
      pending.set(request.id, { resolve, reject });
      queue.push({ request, transfer });
      dispatch();
    });

  return {
    parse: async (bytes, now) => {
      // A copy is transferred: the caller's bytes may be shared (an in-memory store hands out
      // what it holds), and a memcpy is cheap next to parsing.
      const owned = bytes.slice();
      const reply = await send({ id: nextId++, bytes: owned, now }, [owned.buffer as ArrayBuffer]);
      if (!('parsed' in reply)) throw new EtlWorkerError('unexpected reply to parse');
      return fromTransferable(reply.parsed);
    },
    // Merges stay on the calling thread: a merge's large, long-lived buffers would otherwise
    // grow every worker's heap, and parsing is where the CPU goes (~70%).
    merge: (existing, incoming) => mergePartition(existing, incoming),
    close: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
};
