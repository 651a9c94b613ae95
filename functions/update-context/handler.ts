// update-context — S3 ObjectCreated notifications for raw/ → the hot path's context/ shards.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { servedScoring } from '../common/served-scoring.js';
import {
  type UpdateContextDeps,
  type UpdateContextResult,
  updateContext,
} from './update-context.js';

export const makeHandler = (deps: UpdateContextDeps) =>
  middy<S3Event, UpdateContextResult>()
    .use(injectLambdaContext(logger))
    .handler((event) => updateContext(event, deps));

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  const store = createObjectStore(config);
  return makeHandler({
    store,
    layout: config.context,
    now: Date.now,
    afterHourRollup: servedScoring(store, config, Date.now),
  });
});
