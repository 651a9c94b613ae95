// Lambda wiring of prepare-deepar: validate the state machine payload, run the core.
// Errors are not caught: Step Functions matches Retry/Catch on their `name`.
import middy from '@middy/core';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { type PrepareDeps, prepareDeepAr } from './prepare-deepar.js';
import { PrepareInput } from './schema.js';

export const makeHandler = (deps: PrepareDeps) =>
  middy().handler(async (event: unknown) => prepareDeepAr(PrepareInput.parse(event), deps));

// Building the S3 client does no network I/O; the first request happens on invocation.
export const handler = makeHandler({ store: createObjectStore(loadConfig(process.env)) });
