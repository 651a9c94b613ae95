// Worker-thread entry of the ETL (etl-workers.ts): parse raw objects, merge partitions.
import { parentPort } from 'node:worker_threads';
import { CuratedBatch } from './batch.js';
import type { EtlWorkerRequest } from './etl-workers.js';
import { mergePartition } from './merge-partition.js';
import { parseRawObject, toTransferable } from './parse-object.js';

const decoder = new TextDecoder();

parentPort?.on('message', async (request: EtlWorkerRequest) => {
  try {
    if (request.kind === 'parse') {
      const parsed = parseRawObject(decoder.decode(request.bytes), request.now);
      const { message, transfer } = toTransferable(parsed);
      parentPort?.postMessage({ id: request.id, parsed: message }, transfer);
    } else {
      const merged = await mergePartition(
        request.existing,
        CuratedBatch.fromTransferable(request.incoming),
      );
      parentPort?.postMessage({ id: request.id, merged }, [merged.bytes.buffer as ArrayBuffer]);
    }
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: String(error) });
  }
});
