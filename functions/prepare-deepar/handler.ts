// prepare-deepar — retrain state machine step after the ETL: curated Parquet → DeepAR channels.
// Errors are not caught: Step Functions matches Retry/Catch on their `name`.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { type PrepareDeps, prepareDeepAr } from './prepare-deepar.js';
import { PrepareInput } from './schema.js';

export const makeHandler = (deps: PrepareDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: PrepareInput }))
    .handler<z.input<typeof PrepareInput>>((input) => prepareDeepAr(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler({ store: createObjectStore(loadConfig(process.env)) }),
);
