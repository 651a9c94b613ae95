// Worker-thread entry of the ETL (etl-workers.ts): raw object bytes in, column-wise rows out.
import { parentPort } from 'node:worker_threads';
import type { EtlWorkerRequest } from './etl-workers.js';
import { parseRawBytes, toTransferable } from './parse-object.js';

parentPort?.on('message', (request: EtlWorkerRequest) => {
  try {
    const parsed = parseRawBytes(request.bytes, request.now);
    const { message, transfer } = toTransferable(parsed);
    parentPort?.postMessage({ id: request.id, parsed: message }, transfer);
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: String(error) });
  }
});
