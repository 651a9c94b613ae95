// record-run — the retrain state machine's last step on every path (skipped, promoted, rejected,
// rolled back, failed): run summary, registry entry, serving card.
// Errors are not caught: Step Functions matches Retry/Catch on their `name`.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { type RecordRunDeps, recordRun } from './record-run.js';
import { RecordRunInput } from './schema.js';

export const makeHandler = (deps: RecordRunDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: RecordRunInput }))
    .handler<z.input<typeof RecordRunInput>>((input) => recordRun(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler({ store: createObjectStore(loadConfig(process.env)), now: Date.now }),
);
